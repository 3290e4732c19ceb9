"""Opening tickets: the customer found by any identity (created when unknown, never duplicated), the order
linked only when it is that customer's, the first message kept as sent, the `ticket_opened` event, and
for email and the web form an acknowledgement carrying the reference and the best answers the knowledge
base has."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from carecrm import clock
from customers.models import Customer, CustomerIdentity
from customers.services import normalize_email
from knowledgebase.models import SearchQuery
from knowledgebase.search import articles_search
from knowledgebase.services import searches_escalate
from lifecycle.services import customer_upsert, event_record
from orders.models import Order
from tickets import outbound, routing, sla
from tickets.models import Message, Ticket

REFERENCE_PREFIX = "CR-"
AUTO_REPLY_ARTICLES = 3
# At most this many acknowledgements to one address an hour: a loop or a flood gets silence.
AUTO_REPLIES_PER_HOUR = 3
ACKNOWLEDGED_CHANNELS = (Ticket.Channel.EMAIL, Ticket.Channel.WEB)


def reference_for(ticket_id: int) -> str:
    return f"{REFERENCE_PREFIX}{ticket_id:06d}"


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    message: Message
    auto_reply: Message | None


def customer_for_contact(*, email: str, name: str = "", source: str, now: datetime) -> Customer:
    """The customer who owns this address (following merges), or a new one with this name."""
    email = normalize_email(email)
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=CustomerIdentity.Kind.EMAIL, value=email)
        .first()
    )
    if identity is not None:
        customer = identity.customer
        while customer.merged_into_id:
            customer = Customer.objects.get(pk=customer.merged_into_id)
        return customer
    first, _, last = (name or "").strip().partition(" ")
    customer, _created = customer_upsert(
        data={"email": email, "first_name": first[:150], "last_name": last.strip()[:150]},
        source=source,
        now=now,
    )
    return customer


def ticket_open(
    *,
    channel: str,
    email: str,
    subject: str,
    body: str,
    name: str = "",
    order_number: str = "",
    visitor: str = "",
    follow_up_of: Ticket | None = None,
    message_fields: dict | None = None,
    now: datetime | None = None,
) -> Opened:
    """Open a ticket from a customer's first message. Validates first, then writes everything in one
    transaction: the ticket, its message and event, and the acknowledgement to send once it commits."""
    now = now or clock.now()
    subject, body, order_number = subject.strip(), body.strip(), order_number.strip().upper()
    errors = {}
    if not normalize_email(email):
        errors["email"] = ["Enter the email address we should answer."]
    if not subject:
        errors["subject"] = ["Say in a few words what it is about."]
    if not body:
        errors["body"] = ["Tell us what happened."]
    if errors:
        raise ValidationError(errors)
    subject = subject[:300]
    with transaction.atomic():
        customer = customer_for_contact(email=email, name=name, source=f"ticket_{channel}", now=now)
        order = (
            Order.objects.filter(number__iexact=order_number, customer=customer).first()
            if order_number
            else None
        )
        ticket = Ticket(
            customer=customer,
            order=order,
            channel=channel,
            subject=subject,
            follow_up_of=follow_up_of,
            created_at=now,
            updated_at=now,
        )
        routing.ticket_route(ticket=ticket, text=body)
        sla.sla_targets_set(ticket=ticket, start=now)
        ticket.save()
        ticket.reference = reference_for(ticket.pk)
        ticket.save(update_fields=["reference"])
        if order_number and order is None:
            # Not this customer's order (or no such order): kept in the message, linked to nothing.
            body = f"{body}\n\n(Order number given: {order_number})"
        message = Message.objects.create(
            ticket=ticket,
            direction=Message.Direction.INBOUND,
            channel=channel,
            from_address=normalize_email(email) or customer.email,
            subject=subject,
            text=body,
            created_at=now,
            **(message_fields or {}),
        )
        event_record(
            customer=customer,
            kind="ticket_opened",
            occurred_at=now,
            summary=f"{ticket.reference} opened: {subject}"[:300],
            data={"ticket": ticket.pk, "reference": ticket.reference, "channel": channel},
        )
        searches_escalate(visitor=visitor, now=now)
        auto_reply = _auto_reply_record(ticket=ticket, now=now) if channel in ACKNOWLEDGED_CHANNELS else None
    return Opened(ticket=ticket, message=message, auto_reply=auto_reply)


def _auto_reply_record(*, ticket: Ticket, now: datetime) -> Message | None:
    """The acknowledgement: the reference, when to expect an answer and up to three articles that may
    answer it already. The search is logged (source ticket), so a subject no article matches shows up
    among the knowledge gaps."""
    to = ticket.customer.email
    found = articles_search(
        query=ticket.subject,
        source=SearchQuery.Source.TICKET,
        per_page=AUTO_REPLY_ARTICLES,
        now=now,
    )
    recent = Message.objects.filter(
        kind=Message.Kind.AUTO_REPLY, to_address=to, created_at__gte=now - timedelta(hours=1)
    ).count()
    skip = "" if recent < AUTO_REPLIES_PER_HOUR else "Acknowledgement limit for this address reached."
    return outbound.message_record(
        ticket=ticket,
        kind=Message.Kind.AUTO_REPLY,
        subject=f"[{ticket.reference}] We have your request: {ticket.subject}"[:300],
        text=outbound.auto_reply_text(ticket=ticket, articles=found.articles),
        to=to,
        skip_reason=skip,
        now=now,
    )


def message_receive(
    *,
    ticket: Ticket,
    channel: str,
    from_address: str,
    subject: str,
    text: str,
    now: datetime,
    html: str = "",
    message_id: str | None = None,
) -> Message:
    """The customer wrote again: keep the message; a ticket waiting on them, or resolved a few days
    ago, is open again."""
    with transaction.atomic():
        message = Message.objects.create(
            ticket=ticket,
            direction=Message.Direction.INBOUND,
            channel=channel,
            from_address=from_address,
            subject=subject[:300],
            text=text,
            html=html,
            message_id=message_id,
            created_at=now,
        )
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
        if ticket.status in (Ticket.Status.PENDING, Ticket.Status.RESOLVED):
            ticket_status_set(ticket=ticket, status=Ticket.Status.OPEN, now=now)
    return message


# --- Status -----------------------------------------------------------------------------------------

Status = Ticket.Status
TRANSITIONS = {
    Status.NEW: {Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED},
    Status.PENDING: {Status.OPEN, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED},
    Status.ON_HOLD: {Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED},
    # Reopened by the customer's reply (or an agent) within the reopening window.
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    # Closed is final: a later reply opens a follow-up ticket.
    Status.CLOSED: set(),
}


def ticket_status_set(*, ticket: Ticket, status: str, now: datetime, actor: str = "") -> Ticket:
    """Move a ticket to `status` if the map allows it, keeping its SLA clocks: waiting on the customer
    pauses them, their answer resumes them; resolving records the resolution time and `ticket_resolved`.
    Raises ValidationError for a move the map does not allow."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if status == locked.status:
            return locked
        if status not in TRANSITIONS[locked.status]:
            raise ValidationError({"status": [f"A ticket cannot go from {locked.status} to {status}."]})
        if status == Status.PENDING:
            sla.sla_pause(ticket=locked, now=now)
        elif locked.status == Status.PENDING:
            sla.sla_resume(ticket=locked, now=now)
        if status == Status.RESOLVED:
            locked.resolved_at = now
            locked.resolution_minutes = sla.business_minutes(ticket=locked, start=locked.created_at, end=now)
            event_record(
                customer=locked.customer,
                kind="ticket_resolved",
                occurred_at=now,
                summary=f"{locked.reference} resolved: {locked.subject}"[:300],
                data={"ticket": locked.pk, "reference": locked.reference, "by": actor},
            )
        elif locked.status == Status.RESOLVED:
            locked.resolved_at = None
        locked.status = status
        locked.updated_at = now
        locked.save()
    ticket.refresh_from_db()
    return ticket
