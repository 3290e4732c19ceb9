"""Email into tickets: one raw RFC 822 message becomes a new ticket or a message on the ticket it
answers, exactly once.

Which ticket a reply belongs to, trusted in this order:

1. In-Reply-To / References naming one of our own outbound Message-IDs. Ours carry the ticket's
   signed token (`<t123-3f9a….m456@domain>`), so a forged header cannot attach mail to someone else's
   ticket.
2. Our reply-to address, `reply+123-3f9a…@domain`, among the recipients: it survives mail clients and
   ESPs that drop or rewrite the threading headers.
3. The marker `[ref:123-3f9a…]` our emails carry at the bottom, quoted in the reply's body.
4. A reference in the subject (`[CR-000123]`), accepted only from the ticket's own customer.

Tokens are HMACs in lower-case hex, so a system that lower-cases addresses does not break them.

A reply to a resolved ticket reopens it within REOPEN_WITHIN; later, it opens a follow-up ticket that
points back. Auto-replies, bounces and mail loops open nothing and are answered by nothing.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from carecrm import clock
from customers.models import CustomerIdentity
from tickets import services
from tickets.mime import ParsedEmail, email_parse
from tickets.models import Message, Ticket
from tickets.tokens import BODY_MARKER, OUR_MESSAGE_ID, REPLY_ADDRESS, mail_domain, verified

REOPEN_WITHIN = timedelta(days=7)
_SUBJECT_REFERENCE = re.compile(r"\b(CR-\d{6,})\b", re.IGNORECASE)


class EmailTooLarge(ValueError):
    pass


# --- Ingesting --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ingested:
    ticket: Ticket | None
    message: Message | None
    created: bool
    ignored: str = ""  # why nothing was opened (an auto-reply, a bounce, a loop)


def email_ingest(*, raw: bytes, now: datetime | None = None) -> Ingested:
    """File one raw message. The same Message-ID twice: the first filing, created False."""
    limit = settings.INBOUND_EMAIL_MAX_BYTES
    if len(raw) > limit:
        raise EmailTooLarge(f"The message is {len(raw)} bytes; at most {limit} are accepted.")
    now = now or clock.now()
    parsed = email_parse(raw)
    if parsed.message_id:
        known = Message.objects.select_related("ticket").filter(message_id=parsed.message_id).first()
        if known is not None:
            return Ingested(ticket=known.ticket, message=known, created=False)
    reason = _ignore_reason(parsed)
    if reason:
        return Ingested(ticket=None, message=None, created=False, ignored=reason)
    try:
        with transaction.atomic():
            return _file(parsed, now=now)
    except IntegrityError:
        # The same message delivered twice at once: the other delivery filed it.
        known = Message.objects.select_related("ticket").filter(message_id=parsed.message_id).first()
        if known is None:
            raise
        return Ingested(ticket=known.ticket, message=known, created=False)


def _ignore_reason(parsed: ParsedEmail) -> str:
    if parsed.machine_reason:
        return parsed.machine_reason
    if not _answerable(parsed.from_address):
        return "no sender address to answer"
    own = {address.lower() for address in (settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL)}
    if parsed.from_address in {address.split("<")[-1].rstrip(">").strip() for address in own}:
        return "our own outbound mail came back (a loop)"
    if parsed.from_address.endswith("@" + mail_domain()) and parsed.from_address.startswith("reply+"):
        return "our own reply address as sender (a loop)"
    return ""


def _answerable(address: str) -> bool:
    # What a customer's email may be (x@y and 300 characters are not) is what a reply can be sent to: a
    # reply threaded onto a ticket would otherwise keep a sender that a new ticket refuses.
    try:
        validate_email(address)
    except ValidationError:
        return False
    return len(address) <= Message._meta.get_field("from_address").max_length


def _file(parsed: ParsedEmail, *, now: datetime) -> Ingested:
    ticket = _thread_ticket(parsed)
    body = parsed.text.strip() or "(The message had no text.)"
    subject = parsed.subject or "(no subject)"
    if ticket is None or not _reopens(ticket, now):
        opened = services.ticket_open(
            channel=Ticket.Channel.EMAIL,
            email=parsed.from_address,
            name=parsed.from_name,
            subject=subject,
            body=body,
            follow_up_of=ticket,
            message_fields=_message_fields(parsed),
            now=now,
        )
        _attachments_save(opened.message, parsed)
        return Ingested(ticket=opened.ticket, message=opened.message, created=True)
    message = services.message_receive(
        ticket=ticket,
        channel=Ticket.Channel.EMAIL,
        from_address=parsed.from_address,
        subject=subject,
        text=body,
        now=now,
        **_message_fields(parsed),
    )
    _attachments_save(message, parsed)
    return Ingested(ticket=ticket, message=message, created=True)


def _reopens(ticket: Ticket, now: datetime) -> bool:
    """Whether a reply still belongs on this ticket: anything not resolved or closed, and a ticket
    resolved within REOPEN_WITHIN (the reply reopens it). Otherwise it opens a follow-up."""
    if ticket.status == Ticket.Status.CLOSED:
        return False
    if ticket.status == Ticket.Status.RESOLVED:
        return ticket.resolved_at is not None and now - ticket.resolved_at <= REOPEN_WITHIN
    return True


def _message_fields(parsed: ParsedEmail) -> dict:
    return {"html": parsed.html, "message_id": parsed.message_id or None}


def _attachments_save(message: Message, parsed: ParsedEmail) -> None:
    services.attachments_store(
        message=message, files=[(a.filename, a.content_type, a.content) for a in parsed.attachments]
    )


def _thread_ticket(parsed: ParsedEmail) -> Ticket | None:
    for candidate in _candidate_ids(parsed):
        ticket = Ticket.objects.select_related("customer").filter(pk=candidate).first()
        if ticket is not None:
            return ticket
    match = _SUBJECT_REFERENCE.search(parsed.subject)
    if match:
        ticket = Ticket.objects.select_related("customer").filter(reference=match.group(1).upper()).first()
        if ticket is not None and _is_customers_address(ticket, parsed.from_address):
            return ticket
    return None


def _candidate_ids(parsed: ParsedEmail):
    for message_id in [*parsed.in_reply_to, *reversed(parsed.references)]:
        ticket_id = verified(OUR_MESSAGE_ID.match(message_id))
        if ticket_id is not None:
            yield ticket_id
    for address in parsed.to_addresses:
        ticket_id = verified(REPLY_ADDRESS.match(address))
        if ticket_id is not None:
            yield ticket_id
    for match in BODY_MARKER.finditer(parsed.text):
        ticket_id = verified(match)
        if ticket_id is not None:
            yield ticket_id


def _is_customers_address(ticket: Ticket, address: str) -> bool:
    return CustomerIdentity.objects.filter(
        customer_id=ticket.customer_id, kind=CustomerIdentity.Kind.EMAIL, value=address
    ).exists()
