"""The one-click unsubscribe of every campaign email: /unsubscribe/<token>/.

The token names the customer and the delivery, signed with the project's secret: it needs no sign-in,
cannot be made up for someone else, and counts the unsubscribe against the campaign that caused it.
Opening the link shows one button; the unsubscribe itself is a POST, from that button or from a mail
client's own (List-Unsubscribe-Post, RFC 8058), because mail scanners open every link in a message.
"""

from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.models import Delivery
from campaigns.sending import UNSUBSCRIBE_SALT
from campaigns.tracking import delivery_unsubscribe
from carecrm import clock
from orders.optout import masked_email


def _delivery_for(token: str) -> Delivery:
    try:
        customer_id, delivery_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, TypeError, ValueError) as exc:
        raise Http404("This link is not valid.") from exc
    delivery = (
        Delivery.objects.select_related("customer", "campaign")
        .filter(pk=delivery_id, customer_id=customer_id)
        .first()
    )
    if delivery is None:
        raise Http404("This link is not valid.")
    return delivery


# The signed token is the credential, and a mail client's one-click POST carries no CSRF cookie.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    delivery = _delivery_for(token)
    customer = delivery.customer
    if request.method == "POST":
        delivery_unsubscribe(delivery=delivery, occurred_at=clock.now(), source="unsubscribe link")
        customer.refresh_from_db(fields=["marketing_opt_in"])
    return render(
        request,
        "campaigns/unsubscribe.html",
        {
            "subscribed": customer.marketing_opt_in,
            "email": masked_email(customer.email),
            "campaign": delivery.campaign.name,
        },
    )
