"""Email from a ticket to its customer. Each is a Message row before it is anything else (STYLE.md rule
7): recorded pending in the caller's transaction, queued once that commits, claimed pending → sending by
one process only, sent through django-anymail, then marked sent or failed. A lost task is found by
`messages_sweep` (a tick job); a task delivered twice finds the row claimed and sends nothing.

A sender that dies between the claim and the mark (a worker killed, a machine lost) leaves the row in
`sending`, the email handed to the ESP or not. `messages_recover` (a tick job, once the claim is past its
lease) asks the backend about the email's Message-ID (carecrm.mail.outbox_holds): accepted → marked sent;
not, or the backend cannot tell → pending again, for the sweep to send under the same Message-ID, so the
customer's mailbox shows one message even if the first attempt did leave."""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string

from carecrm.links import site_url
from carecrm.mail import esp_message_id, outbox_holds
from knowledgebase.models import Article
from tickets.models import Message, Ticket
from tickets.tokens import body_marker, outbound_message_id, reply_address

logger = logging.getLogger(__name__)
Delivery = Message.Delivery
SWEEP_GRACE = timedelta(minutes=1)
# Longer than any send can take (the send task's hard limit is a minute; the sweep waits on the same
# backend timeouts): a claim this old has no sender any more.
SEND_LEASE = timedelta(minutes=10)


def auto_reply_text(*, ticket: Ticket, articles: list[Article]) -> str:
    return render_to_string(
        "tickets/email/auto_reply.txt",
        {
            "ticket": ticket,
            "customer": ticket.customer,
            "articles": [(article.title, site_url(article.get_absolute_url())) for article in articles],
            "help_url": site_url("/help/"),
        },
    ).strip()


def message_record(
    *,
    ticket: Ticket,
    kind: str,
    subject: str,
    text: str,
    to: str,
    now: datetime,
    skip_reason: str = "",
    author=None,
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        kind=kind,
        author=author,
        channel=Ticket.Channel.EMAIL,
        from_address=settings.DEFAULT_FROM_EMAIL,
        to_address=to,
        subject=subject,
        text=text,
        created_at=now,
        delivery=Delivery.SKIPPED if skip_reason else Delivery.PENDING,
        delivery_error=skip_reason,
    )
    # Threading: our Message-ID and the marker quoted back in a reply both name the ticket.
    message.message_id = outbound_message_id(ticket.pk, message.pk)
    message.text = f"{text}\n\n{body_marker(ticket.pk)}"
    message.save(update_fields=["message_id", "text"])
    if not skip_reason:
        transaction.on_commit(partial(_enqueue, message.pk))
    return message


def _enqueue(message_id: int) -> None:
    from tickets.tasks import message_send_task  # the task module imports this one

    try:
        message_send_task.delay(message_id)
    except Exception:
        logger.warning("Broker unreachable; message %s left for the sweep", message_id, exc_info=True)


def message_send(*, message_id: int, now: datetime) -> str:
    """Send one pending outbound message, once; the status it ended in, or "" if it was not pending.
    Runs outside a transaction so the claim is committed before the email leaves."""
    claimed = Message.objects.filter(pk=message_id, delivery=Delivery.PENDING).update(
        delivery=Delivery.SENDING, claimed_at=now
    )
    if claimed != 1:
        return ""
    message = Message.objects.select_related("ticket").get(pk=message_id)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=message.from_address or settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        reply_to=[reply_address(message.ticket_id)],
        headers=_thread_headers(message),
    )
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as content:
            email.attach(attachment.filename, content.read(), attachment.content_type)
    try:
        email.send()
    except Exception as exc:
        logger.exception("Message %s of ticket %s failed", message.pk, message.ticket.reference)
        return _finish(message, Delivery.FAILED, delivery_error=f"{exc.__class__.__name__}: {exc}"[:5000])
    return _finish(message, Delivery.SENT, esp_message_id=esp_message_id(email, max_length=200), sent_at=now)


def _thread_headers(message: Message) -> dict[str, str]:
    headers = {"Message-ID": f"<{message.message_id}>", "X-CareCRM-Ticket": message.ticket.reference or ""}
    earlier = list(
        Message.objects.filter(ticket_id=message.ticket_id, pk__lt=message.pk, message_id__isnull=False)
        .order_by("-pk")
        .values_list("message_id", flat=True)[:10]
    )
    if earlier:
        headers["In-Reply-To"] = f"<{earlier[0]}>"
        headers["References"] = " ".join(f"<{message_id}>" for message_id in reversed(earlier))
    if message.kind == Message.Kind.AUTO_REPLY:
        # RFC 3834: an automatic answer, which other robots must not answer in turn.
        headers["Auto-Submitted"] = "auto-replied"
    return headers


def _finish(message: Message, delivery: str, **fields) -> str:
    Message.objects.filter(pk=message.pk, delivery=Delivery.SENDING).update(delivery=delivery, **fields)
    return delivery


def messages_sweep(*, now: datetime, limit: int = 200) -> str:
    due = list(
        Message.objects.filter(delivery=Delivery.PENDING, created_at__lte=now - SWEEP_GRACE)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes = [message_send(message_id=pk, now=now) for pk in due]
    sent, failed = outcomes.count(Delivery.SENT), outcomes.count(Delivery.FAILED)
    return f"{sent} pending ticket emails sent" + (f", {failed} failed" if failed else "")


def messages_recover(*, now: datetime, limit: int = 200) -> str:
    """A tick job, before the sweep: the emails whose sender died mid-way (see the module's docstring)."""
    stalled = list(
        Message.objects.filter(delivery=Delivery.SENDING, claimed_at__lt=now - SEND_LEASE)
        .order_by("claimed_at", "pk")
        .values_list("pk", "message_id")[:limit]
    )
    found_sent = requeued = 0
    for pk, message_id in stalled:
        stalled_row = Message.objects.filter(pk=pk, delivery=Delivery.SENDING)
        if outbox_holds(f"<{message_id}>"):
            # It left when it was claimed: the send follows the claim at once.
            found_sent += stalled_row.update(delivery=Delivery.SENT, sent_at=F("claimed_at"))
        else:
            requeued += stalled_row.update(delivery=Delivery.PENDING, claimed_at=None)
    return f"{requeued} stalled ticket emails queued again, {found_sent} found sent"
