"""Customer satisfaction: when a ticket is resolved the customer gets five rating links (1 to 5). A link
opens a page with that rating chosen and room for a comment; sending it records the rating and
`csat_received`. Opening a link records nothing on its own, so a mail scanner that follows every link
cannot rate on the customer's behalf."""

from datetime import datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from carecrm.links import site_url
from lifecycle.services import event_record
from tickets import outbound
from tickets.models import Chat, CsatRating, Message, Ticket

SALT = "tickets.csat"
RATINGS = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Great"}
# A survey link is answered within this long or not at all.
LINK_MAX_AGE = 60 * 60 * 24 * 30


def csat_token(ticket_id: int) -> str:
    return signing.dumps(ticket_id, salt=SALT, compress=True)


def csat_ticket_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def csat_url(ticket_id: int, rating: int) -> str:
    return site_url(reverse("csat", kwargs={"token": csat_token(ticket_id)}) + f"?rating={rating}")


def csat_request_record(*, ticket: Ticket, now: datetime) -> Message | None:
    """The survey email, recorded with the resolution (in its transaction) and sent once it commits. A
    live chat asks in the widget as it ends instead (a missed one, answered by email, gets the email)."""
    live_chat = Chat.objects.filter(ticket=ticket, status=Chat.Status.ENDED)
    if (
        not ticket.customer.email
        or (ticket.channel == Ticket.Channel.CHAT and live_chat.exists())
        or ticket.messages.filter(kind=Message.Kind.CSAT_REQUEST).exists()
    ):
        return None
    text = render_to_string(
        "tickets/email/csat_request.txt",
        {
            "ticket": ticket,
            "customer": ticket.customer,
            "links": [(rating, label, csat_url(ticket.pk, rating)) for rating, label in RATINGS.items()],
        },
    ).strip()
    return outbound.message_record(
        ticket=ticket,
        kind=Message.Kind.CSAT_REQUEST,
        subject=f"[{ticket.reference}] How did we do?",
        text=text,
        to=ticket.customer.email,
        now=now,
    )


def csat_record(*, ticket: Ticket, rating: int, comment: str, now: datetime) -> CsatRating:
    if rating not in RATINGS:
        raise ValidationError({"rating": ["Choose a rating from 1 to 5."]})
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        existing = CsatRating.objects.select_for_update().filter(ticket=ticket).first()
        if existing is not None:
            existing.rating, existing.comment, existing.updated_at = rating, comment or existing.comment, now
            existing.save(update_fields=["rating", "comment", "updated_at"])
            return existing
        csat = CsatRating.objects.create(
            ticket=ticket, rating=rating, comment=comment, created_at=now, updated_at=now
        )
        event_record(
            customer=ticket.customer,
            kind="csat_received",
            occurred_at=now,
            summary=f"Rated {ticket.reference} {rating}/5",
            data={"ticket": ticket.pk, "rating": rating},
            key=f"csat_received:{ticket.pk}",
        )
    return csat
