"""The opt-out link at the foot of every order update email: /track/updates/off/<token>/.

The token is the customer's id signed with the project's secret, so the link needs no sign-in and
cannot be made up for someone else. It does not expire: an email from last year still works.

Opening the link shows one button; the opt-out itself is a POST, from that button or from a mail
client's own unsubscribe button (List-Unsubscribe-Post, RFC 8058). A plain GET changes nothing,
because mail scanners and link previews open every link in a message.
"""

from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from carecrm import clock
from carecrm.links import site_url
from customers.models import Customer
from lifecycle.services import customer_order_updates_opt_out

SALT = "orders.order-updates-off"

app_name = "order_updates"


def optout_token(customer: Customer) -> str:
    # No timestamp in it: every email to a customer carries the same link, and it never expires.
    return signing.Signer(salt=SALT).sign_object(customer.pk)


def optout_url(customer: Customer) -> str:
    return site_url(reverse("order_updates:off", kwargs={"token": optout_token(customer)}))


def _customer_for(token: str) -> Customer:
    try:
        customer_id = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature as exc:
        raise Http404("This link is not valid.") from exc
    if not isinstance(customer_id, int):
        raise Http404("This link is not valid.")
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is not None and customer.merged_into_id:
        # The link came in an email to a duplicate since merged: the wish is the survivor's.
        customer = Customer.objects.filter(pk=customer.merged_into_id).first()
    if customer is None:
        raise Http404("This link is not valid.")
    return customer


def masked_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * max(len(local) - 1, 2)}@{domain}" if domain else ""


# The signed token is the credential, and a mail client's one-click POST carries no CSRF cookie.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def order_updates_off(request, token: str):
    customer = _customer_for(token)
    if request.method == "POST":
        customer_order_updates_opt_out(customer=customer, now=clock.now())
        customer.order_updates_opt_out = True
    return render(
        request,
        "orders/order_updates_off.html",
        {"opted_out": customer.order_updates_opt_out, "email": masked_email(customer.email)},
    )


urlpatterns = [path("off/<str:token>/", order_updates_off, name="off")]
