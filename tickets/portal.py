"""/requests/: customers follow their own requests and answer them, signed in by a link we email them.

The sign-in form answers the same whatever the address, so it cannot tell anyone who writes to us. The
link's token is random and stored only as its hash; it signs in once, within ten minutes, and only to
/requests/ (a SignInLink row). The session then holds the customer for a day. Notes and anything
internal never show here."""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django import forms
from django.core.mail import send_mail
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from carecrm import clock, ratelimit
from carecrm.links import site_url
from customers.models import Customer
from customers.services import customer_by_email, normalize_email
from lifecycle.loyalty import loyalty_summary
from tickets import services
from tickets.models import Message, SignInLink, Ticket

logger = logging.getLogger(__name__)
LINK_LIFETIME = timedelta(minutes=10)
SESSION_KEY = "requests_customer"
SESSION_AGE = 60 * 60 * 24
# (attempts, seconds) per client address and per email address.
SIGNIN_LIMIT = (5, 3600)
SHOWN = (Message.Direction.INBOUND, Message.Direction.OUTBOUND)


class SignInForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Add to your request", max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signin_link(customer: Customer, *, now: datetime | None = None) -> str:
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    SignInLink.objects.create(
        customer=customer,
        purpose=SignInLink.Purpose.REQUESTS,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    return site_url(reverse("requests:signin", kwargs={"token": token}))


def signin_use(token: str, *, now: datetime) -> int | None:
    """The customer a requests link signs in, spending it: one conditional UPDATE, so of two clicks
    (or a replay) only one gets through. None for a link unknown, used, expired or for another purpose."""
    link = SignInLink.objects.filter(
        token_hash=_hash(token[:200]),
        purpose=SignInLink.Purpose.REQUESTS,
        used_at__isnull=True,
        expires_at__gt=now,
    )
    with transaction.atomic():
        customer_id = link.values_list("customer_id", flat=True).first()
        if customer_id is None or not link.update(used_at=now):
            return None
    return customer_id


def _customer(request) -> Customer | None:
    customer_id = request.session.get(SESSION_KEY)
    return Customer.objects.filter(pk=customer_id, merged_into__isnull=True).first() if customer_id else None


@never_cache
@require_http_methods(["GET", "POST"])
def start(request):
    if _customer(request) is not None:
        return redirect("requests:list")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = normalize_email(form.cleaned_data["email"])
        allowed = ratelimit.hit(
            f"requests:ip:{ratelimit.client_ip(request)}", *SIGNIN_LIMIT
        ) and ratelimit.hit(f"requests:email:{email}", *SIGNIN_LIMIT)
        if allowed:
            _send_link(email)
        # The same answer whether or not we know the address.
        return render(request, "tickets/requests_sent.html", {"email": email})
    return render(request, "tickets/requests_start.html", {"form": form}, status=400 if form.errors else 200)


def _send_link(email: str) -> None:
    customer = customer_by_email(email)
    if customer is None:
        return
    body = render_to_string(
        "tickets/email/requests_signin.txt", {"customer": customer, "link": signin_link(customer)}
    )
    try:
        send_mail("Your requests: sign-in link", body, None, [email])
    except Exception:
        logger.exception("Sign-in link to customer %s not sent", customer.pk)


def signin_links_purge(*, now: datetime) -> str:
    """A tick job: links a day past their expiry are of no use to anyone; the table stays small."""
    deleted, _ = SignInLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return f"{deleted} old sign-in links deleted"


@never_cache
@require_GET
def signin(request, token: str):
    customer_id = signin_use(token, now=clock.now())
    if customer_id is None:
        return render(
            request, "tickets/requests_start.html", {"form": SignInForm(), "expired": True}, status=400
        )
    request.session.cycle_key()
    request.session[SESSION_KEY] = customer_id
    request.session.set_expiry(SESSION_AGE)
    return redirect("requests:list")


@never_cache
@require_GET
def request_list(request):
    customer = _customer(request)
    if customer is None:
        return redirect("requests:start")
    tickets = Ticket.objects.filter(customer=customer).order_by("-updated_at", "-pk")[:100]
    return render(
        request,
        "tickets/requests_list.html",
        {"customer": customer, "tickets": tickets, "loyalty": loyalty_summary(customer)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def request_detail(request, reference: str):
    customer = _customer(request)
    if customer is None:
        return redirect("requests:start")
    ticket = get_object_or_404(Ticket, customer=customer, reference=reference.upper())
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if ticket.status == Ticket.Status.CLOSED:
            form.add_error(None, "This request is closed. Please open a new one from the contact form.")
        else:
            services.message_receive(
                ticket=ticket,
                channel=Ticket.Channel.WEB,
                from_address=customer.email,
                subject=f"Re: {ticket.subject}",
                text=form.cleaned_data["text"],
                now=clock.now(),
            )
            return redirect("requests:detail", reference=ticket.reference)
    messages = (
        ticket.messages.filter(direction__in=SHOWN)
        .exclude(kind=Message.Kind.CSAT_REQUEST)
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "tickets/requests_detail.html",
        {"ticket": ticket, "messages": messages, "form": form},
        status=400 if form.errors else 200,
    )


app_name = "requests"
urlpatterns = [
    path("", start, name="start"),
    path("signin/<str:token>/", signin, name="signin"),
    path("mine/", request_list, name="list"),
    path("mine/<str:reference>/", request_detail, name="detail"),
]
