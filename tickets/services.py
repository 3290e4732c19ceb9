"""Opening tickets: the customer found by any identity (created when unknown, never duplicated), the order
linked only when it is that customer's, the first message kept as sent, the `ticket_opened` event, and
for email and the web form an acknowledgement carrying the reference and the best answers the knowledge
base has."""

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from carecrm import clock
from carecrm.links import site_url
from customers.models import Customer
from customers.services import customer_by_email, normalize_email
from knowledgebase.models import SearchQuery
from knowledgebase.search import articles_search
from knowledgebase.services import searches_escalate
from lifecycle.services import customer_upsert, event_record
from orders.models import Order
from orders.notifications import track_url
from tickets import csat, outbound, routing, sla
from tickets.models import Attachment, Message, Ticket

REFERENCE_PREFIX = "CR-"
AUTO_REPLY_ARTICLES = 3
# At most this many acknowledgements to one address an hour: a loop or a flood gets silence.
AUTO_REPLIES_PER_HOUR = 3
ACKNOWLEDGED_CHANNELS = (Ticket.Channel.EMAIL, Ticket.Channel.WEB)


# Something that may be an order number: letters, digits and dashes with at least one digit.
_ORDER_NUMBER_LIKE = re.compile(r"\b(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{2,48}[A-Z0-9]\b", re.IGNORECASE)


def order_mentioned(*, customer: Customer, text: str) -> Order | None:
    """The customer's own order whose number the text mentions ("about order 100501", "#NW-20417"),
    the most recent if several; another customer's order number links nothing."""
    candidates = list(dict.fromkeys(match.upper() for match in _ORDER_NUMBER_LIKE.findall(text)))[:30]
    if not candidates:
        return None
    return Order.objects.filter(customer=customer, number__in=candidates).order_by("-placed_at").first()


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
    known = customer_by_email(email)
    if known is not None:
        return known
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
    customer: Customer | None = None,
    now: datetime | None = None,
) -> Opened:
    """Open a ticket from a customer's first message. Validates first, then writes everything in one
    transaction: the ticket, its message and event, and the acknowledgement to send once it commits.
    `customer`, when the caller already knows them (a store-signed chat), stands for the email."""
    now = now or clock.now()
    subject, body, order_number = subject.strip(), body.strip(), order_number.strip().upper()
    errors = {}
    if customer is None and not normalize_email(email):
        errors["email"] = ["Enter the email address we should answer."]
    if not subject:
        errors["subject"] = ["Say in a few words what it is about."]
    if not body:
        errors["body"] = ["Tell us what happened."]
    if errors:
        raise ValidationError(errors)
    subject = subject[:300]
    with transaction.atomic():
        if customer is None:
            customer = customer_for_contact(email=email, name=name, source=f"ticket_{channel}", now=now)
        if order_number:
            order = Order.objects.filter(number__iexact=order_number, customer=customer).first()
        else:
            order = order_mentioned(customer=customer, text=f"{subject}\n{body}")
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


def ticket_outbound(
    *, customer: Customer, author, subject: str, text: str, now: datetime | None = None
) -> tuple[Ticket, Message]:
    """A one-off email staff send a customer first (a heads-up about a delay, a goodwill note): a ticket
    of its own, waiting on the customer, so their answer threads onto it."""
    now = now or clock.now()
    subject, text = (subject or "").strip()[:300], (text or "").strip()
    errors = {}
    if not customer.email:
        errors["email"] = ["The customer has no email address."]
    if not subject:
        errors["subject"] = ["Say in a few words what it is about."]
    if not text:
        errors["text"] = ["Write the message first."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ticket = Ticket(
            customer=customer,
            channel=Ticket.Channel.EMAIL,
            subject=subject,
            status=Ticket.Status.PENDING,
            first_responded_at=now,
            first_response_minutes=0,
            created_at=now,
            updated_at=now,
        )
        routing.ticket_route(ticket=ticket, text=text)
        ticket.assignee = author  # whoever wrote first follows the answer, not the round robin
        ticket.save()
        ticket.reference = reference_for(ticket.pk)
        ticket.save(update_fields=["reference"])
        message = outbound.message_record(
            ticket=ticket,
            kind=Message.Kind.MESSAGE,
            subject=f"[{ticket.reference}] {subject}"[:300],
            text=text,
            to=customer.email,
            now=now,
            author=author,
        )
        event_record(
            customer=customer,
            kind="ticket_opened",
            occurred_at=now,
            summary=f"{ticket.reference} sent by {author.get_username()}: {subject}"[:300],
            data={"ticket": ticket.pk, "reference": ticket.reference, "channel": "email", "outbound": True},
        )
    return ticket, message


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
    recent = list(
        Message.objects.filter(
            kind=Message.Kind.AUTO_REPLY, to_address=to, created_at__gte=now - timedelta(hours=1)
        )
        .exclude(delivery=Message.Delivery.SKIPPED)
        .order_by("-created_at", "-pk")
        .values_list("ticket__subject", flat=True)[:AUTO_REPLIES_PER_HOUR]
    )
    skip = ""
    if len(recent) >= AUTO_REPLIES_PER_HOUR:
        skip = "Acknowledgement limit for this address reached."
    elif recent and recent[0].strip().lower() == ticket.subject.strip().lower():
        # The same subject again straight away: a resend or a loop, not a new question to acknowledge.
        skip = "The last acknowledgement to this address had the same subject."
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
            csat.csat_request_record(ticket=locked, now=now)
        elif locked.status == Status.RESOLVED:
            locked.resolved_at = None
        locked.status = status
        locked.updated_at = now
        locked.save()
    ticket.refresh_from_db()
    return ticket


# --- Agents answering -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def macro_render(*, text: str, ticket: Ticket, agent) -> str:
    """A macro's text for this ticket. Only the named placeholders are filled, from plain values:
    whoever edits a macro cannot reach anything else."""
    order = ticket.order
    values = {
        "customer_name": ticket.customer.first_name or "there",
        "ticket_reference": ticket.reference or "",
        "order_number": order.number if order else "",
        "tracking_link": track_url(order) if order else site_url("/track/"),
        "agent_name": (agent.get_full_name() or agent.get_username()) if agent else "",
    }
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def ticket_reply(
    *,
    ticket: Ticket,
    author,
    text: str,
    status: str = Ticket.Status.PENDING,
    attachments: list[tuple[str, str, bytes]] = (),
    now: datetime | None = None,
) -> Message:
    """An agent's answer, emailed to the customer threaded on the ticket. The first one records the
    first response (and its business minutes); the ticket then moves to `status` (pending: waiting on
    the customer, by default)."""
    now = now or clock.now()
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Write the answer first."]})
    if status not in TRANSITIONS.get(ticket.status, set()) | {ticket.status}:
        raise ValidationError({"status": [f"A {ticket.status} ticket cannot become {status}."]})
    with transaction.atomic():
        locked = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("customer", "order")
            .get(pk=ticket.pk)
        )
        message = outbound.message_record(
            ticket=locked,
            kind=Message.Kind.MESSAGE,
            subject=f"Re: [{locked.reference}] {locked.subject}"[:300],
            text=text,
            to=locked.customer.email,
            now=now,
            author=author,
            skip_reason="" if locked.customer.email else "The customer has no email address.",
        )
        attachments_store(message=message, files=attachments)
        first_response_record(ticket=locked, now=now)
        event_record(
            customer=locked.customer,
            kind="ticket_replied",
            occurred_at=now,
            summary=f"{locked.reference} answered by {author.get_username() if author else 'us'}"[:300],
            data={"ticket": locked.pk, "reference": locked.reference, "message": message.pk},
        )
        if status != locked.status:
            ticket_status_set(
                ticket=locked, status=status, now=now, actor=author.get_username() if author else ""
            )
    ticket.refresh_from_db()
    return message


def first_response_record(*, ticket: Ticket, now: datetime) -> None:
    """An answer went out: the first one stops the first-response clock (in business minutes). Takes the
    ticket locked by the caller and saves it."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        ticket.first_response_minutes = sla.business_minutes(ticket=ticket, start=ticket.created_at, end=now)
    ticket.updated_at = now
    ticket.save(update_fields=["first_responded_at", "first_response_minutes", "updated_at"])


def ticket_note(*, ticket: Ticket, author, text: str, now: datetime | None = None) -> Message:
    """An internal note: for the team, never sent."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Write the note first."]})
    now = now or clock.now()
    return Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.NOTE,
        channel=ticket.channel,
        author=author,
        text=text,
        created_at=now,
    )


def ticket_assign(*, ticket: Ticket, agent, now: datetime | None = None) -> Ticket:
    """Give the ticket to `agent` (None: back to the team's unassigned queue)."""
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent, updated_at=now or clock.now())
    ticket.refresh_from_db()
    return ticket


def attachments_store(*, message: Message, files) -> None:
    """Keep files with a message: (filename, content type, bytes) each, stored under MEDIA_ROOT."""
    for filename, content_type, content in files:
        Attachment.objects.create(
            message=message,
            file=ContentFile(content, name=_storage_name(filename)),
            filename=filename[:200],
            content_type=content_type[:100],
            size=len(content),
        )


_NOT_IN_FILE_NAMES = re.compile(r"[^\w.-]")


def _storage_name(filename: str) -> str:
    """A name the storage takes for whatever the sender called the file (`..`, `../../etc/passwd`, `???`,
    300 characters), which it would refuse with SuspiciousFileOperation: the last part of the path, with
    letters, digits, dots and dashes only, short enough for the file column. The name as sent stays in
    Attachment.filename."""
    name = _NOT_IN_FILE_NAMES.sub("_", re.split(r"[/\\]", filename)[-1]).strip("._")
    root, extension = os.path.splitext(name)
    return f"{root[:50]}{extension[:20]}" if root else "attachment"
