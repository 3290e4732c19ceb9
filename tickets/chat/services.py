"""Live chat: a chat is a `chat` ticket whose messages are the transcript, plus the real-time state the
sockets need (queue, agent, read marks). Every change is written here, in one transaction, before any
socket hears of it (tickets.chat.consumers only parse and forward), so a dropped connection, a second
tab or a restarted server finds everything in the database.

Statuses: waiting → active (an agent accepted) → ended; waiting → missed (nobody accepted in time, or
the customer left first): a missed chat stays an open ticket in the inbox, and the customer gets an email
saying the answer will come that way."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string

from carecrm.links import site_url
from customers.models import Customer
from lifecycle.services import event_record
from tickets import outbound, services, sla
from tickets.csat import csat_record
from tickets.models import BusinessCalendar, Chat, ChatInvitation, ChatPresence, Message, Ticket

MAX_TEXT = 5000
# An agent whose console has not checked in for this long is offline (it checks in every 25 s).
PRESENCE_TIMEOUT = timedelta(seconds=75)
# What the widget is sent of a chat it resumes: the latest messages, enough for any real chat.
TRANSCRIPT_LIMIT = 500

Status = Chat.Status
TRANSITIONS = {
    Status.WAITING: {Status.ACTIVE, Status.MISSED, Status.ENDED},
    Status.ACTIVE: {Status.ENDED},
    Status.ENDED: set(),
    Status.MISSED: set(),
}


@dataclass(frozen=True)
class Started:
    chat: Chat
    key: str
    message: Message


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def agent_display_name(user) -> str:
    """What the customer sees of an agent: their first name, never their login."""
    return (user.first_name or user.get_full_name() or "Support").strip() if user else ""


# --- Availability ------------------------------------------------------------------------------------


def online_presences(*, now: datetime):
    return ChatPresence.objects.filter(last_seen_at__gte=now - PRESENCE_TIMEOUT)


def chat_open_hours(*, now: datetime) -> bool:
    """Inside the chat calendar's hours (CARECRM_CHAT_CALENDAR; no calendar: always)."""
    name = settings.CARECRM["CHAT_CALENDAR"]
    if not name:
        return True
    calendar = BusinessCalendar.objects.filter(name=name).first()
    if calendar is None:
        return True
    hours = sla.hours_of(calendar)
    local = now.astimezone(hours.zone)
    return any(start <= local < end for start, end in hours.spans(local.date()))


def chat_available(*, now: datetime) -> bool:
    """Whether the widget offers a live chat: within chat hours, and an available agent is online."""
    return online_presences(now=now).filter(
        status=ChatPresence.Status.AVAILABLE
    ).exists() and chat_open_hours(now=now)


def presence_set(*, agent, status: str | None = None, now: datetime) -> ChatPresence:
    """The agent's console checked in (and, with `status`, chose available or away)."""
    if status is not None and status not in ChatPresence.Status.values:
        raise ValidationError({"status": ["Choose available or away."]})
    defaults = {"last_seen_at": now, **({"status": status} if status else {})}
    presence, _ = ChatPresence.objects.update_or_create(user=agent, defaults=defaults)
    return presence


def agent_limit(presence: ChatPresence | None) -> int:
    if presence is not None and presence.max_chats:
        return presence.max_chats
    return settings.CARECRM["CHAT_MAX_PER_AGENT"]


def _may_take(agent, *, now: datetime) -> None:
    """Refuses when the agent cannot take one more chat; locks their presence row, so two accepts by one
    agent at once are counted one after the other."""
    presence = ChatPresence.objects.select_for_update().filter(user=agent).first()
    if presence is None or presence.last_seen_at < now - PRESENCE_TIMEOUT:
        raise ValidationError({"agent": [f"{agent.get_username()} is not online in the chat console."]})
    limit = agent_limit(presence)
    held = Chat.objects.filter(agent=agent, status=Status.ACTIVE).count()
    if held >= limit:
        raise ValidationError({"agent": [f"{agent.get_username()} already holds {held} of {limit} chats."]})


# --- Starting and resuming ---------------------------------------------------------------------------


def chat_start(
    *,
    text: str,
    client_id: str,
    email: str = "",
    name: str = "",
    customer: Customer | None = None,
    page_url: str = "",
    invitation_id: int | None = None,
    visitor: str = "",
    key: str | None = None,
    now: datetime,
) -> Started:
    """The customer's first message opens a `chat` ticket and puts the chat in the queue. `customer` is
    the store-vouched customer (tickets.chat.identity); without one, `email` names them, unverified.
    `key`, the widget's own secret for the chat (made here when not given), makes a resent start the same
    chat rather than a second one."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Write your question first."]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [f"Keep a message under {MAX_TEXT} characters."]})
    _client_id_check(client_id)
    if key is None:
        key = secrets.token_urlsafe(32)
    elif not isinstance(key, str) or not _CHAT_KEY.fullmatch(key):
        raise ValidationError({"key": ["A chat key is 32 to 64 letters, digits, - or _."]})
    # The same start sent again (its answer lost to a dropped connection) is the chat it started.
    again = (
        Chat.objects.filter(visitor_key_hash=_key_hash(key), ticket__messages__client_id=client_id)
        .select_related("ticket")
        .first()
    )
    if again is not None:
        first = Message.objects.select_related("author").get(ticket_id=again.ticket_id, client_id=client_id)
        return Started(chat=again, key=key, message=first)
    first_line = text.splitlines()[0]
    with transaction.atomic():
        opened = services.ticket_open(
            channel=Ticket.Channel.CHAT,
            email=email,
            name=name,
            customer=customer,
            subject=f"Chat: {first_line[:80]}",
            body=text,
            visitor=visitor,
            message_fields={"client_id": client_id},
            now=now,
        )
        invitation = None
        if invitation_id is not None:
            invitation = ChatInvitation.objects.filter(pk=invitation_id, visitor=visitor, chat=None).first()
        chat = Chat.objects.create(
            ticket=opened.ticket,
            visitor_key_hash=_key_hash(key),
            identified=customer is not None,
            page_url=page_url[:500],
            invitation=invitation,
            started_at=now,
            answer_due_at=now + timedelta(seconds=settings.CARECRM["CHAT_ANSWER_WITHIN_SECONDS"]),
        )
        event_record(
            customer=opened.ticket.customer,
            kind="chat_started",
            occurred_at=now,
            summary=f"Started a chat ({opened.ticket.reference}): {first_line}"[:300],
            data={
                "chat": chat.pk,
                "ticket": opened.ticket.pk,
                "reference": opened.ticket.reference,
                "identified": chat.identified,
                "invited": invitation is not None,
                "page_url": chat.page_url,
            },
        )
    return Started(chat=chat, key=key, message=opened.message)


def chat_for_visitor(*, chat_id, key) -> Chat | None:
    """The chat this id and key open, or None: a wrong key looks like no chat at all."""
    if not isinstance(chat_id, int) or not isinstance(key, str) or not key:
        return None
    chat = Chat.objects.select_related("ticket", "agent").filter(pk=chat_id).first()
    if chat is None or not hmac.compare_digest(chat.visitor_key_hash, _key_hash(key)):
        return None
    return chat


# --- Messages ----------------------------------------------------------------------------------------


_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_CHAT_KEY = re.compile(r"[A-Za-z0-9_-]{32,64}")
# Read marks are message ids: anything past a bigint is no message of ours.
MAX_ID = 2**63 - 1


def _client_id_check(client_id) -> None:
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise ValidationError({"client_id": ["Each message needs an id of 8 to 64 letters, digits, - or _."]})


def chat_message_post(
    *, chat: Chat, text: str, client_id: str, agent=None, now: datetime
) -> tuple[Message, bool]:
    """A message from the customer (agent None) or the agent holding the chat. The same client_id again
    (resent after a dropped connection) returns the message already kept and False."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["The message is empty."]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [f"Keep a message under {MAX_TEXT} characters."]})
    _client_id_check(client_id)
    kept = (
        Message.objects.select_related("author").filter(ticket_id=chat.ticket_id, client_id=client_id).first()
    )
    if kept is not None:
        return kept, False
    try:
        with transaction.atomic():
            locked = Chat.objects.select_for_update().select_related("ticket").get(pk=chat.pk)
            if agent is not None and (locked.status != Status.ACTIVE or locked.agent_id != agent.pk):
                raise ValidationError({"chat": ["This chat is not yours to answer."]})
            if agent is None and locked.status not in (Status.WAITING, Status.ACTIVE):
                raise ValidationError({"chat": ["This chat has ended."]})
            message = Message.objects.create(
                ticket=locked.ticket,
                direction=Message.Direction.OUTBOUND if agent else Message.Direction.INBOUND,
                channel=Ticket.Channel.CHAT,
                author=agent,
                text=text,
                client_id=client_id,
                created_at=now,
            )
            if agent is not None:
                services.first_response_record(ticket=locked.ticket, now=now)
                Chat.objects.filter(pk=chat.pk, agent_read_id__lt=message.pk).update(agent_read_id=message.pk)
            else:
                Ticket.objects.filter(pk=chat.ticket_id).update(updated_at=now)
                Chat.objects.filter(pk=chat.pk, customer_read_id__lt=message.pk).update(
                    customer_read_id=message.pk
                )
    except IntegrityError:
        # The same message resent on a second connection at the same moment: the first one is kept.
        return Message.objects.select_related("author").get(
            ticket_id=chat.ticket_id, client_id=client_id
        ), False
    return message, True


def chat_read(*, chat: Chat, upto: int, by_agent: bool) -> bool:
    """One side has seen every message up to `upto`; the mark only moves forward."""
    if not isinstance(upto, int) or isinstance(upto, bool) or not 0 < upto <= MAX_ID:
        return False
    field = "agent_read_id" if by_agent else "customer_read_id"
    return bool(Chat.objects.filter(pk=chat.pk, **{f"{field}__lt": upto}).update(**{field: upto}))


def transcript(chat: Chat, *, after: int = 0, notes: bool = False):
    """The chat's messages after `after`, oldest first; internal notes only for agents."""
    messages = Message.objects.filter(ticket_id=chat.ticket_id, pk__gt=max(after, 0)).select_related("author")
    if not notes:
        messages = messages.exclude(direction=Message.Direction.NOTE)
    return list(messages.order_by("-pk")[:TRANSCRIPT_LIMIT])[::-1]


# --- Agents ------------------------------------------------------------------------------------------


def chat_accept(*, chat_id: int, agent, now: datetime) -> Chat:
    """The agent takes a waiting chat, if they are under their limit and nobody took it first."""
    with transaction.atomic():
        _may_take(agent, now=now)
        taken = Chat.objects.filter(pk=chat_id, status=Status.WAITING).update(
            status=Status.ACTIVE, agent=agent, accepted_at=now
        )
        if not taken:
            raise ValidationError({"chat": ["This chat is no longer waiting."]})
        chat = Chat.objects.select_related("ticket").get(pk=chat_id)
        services.ticket_assign(ticket=chat.ticket, agent=agent, now=now)
        services.ticket_status_set(ticket=chat.ticket, status=Ticket.Status.OPEN, now=now)
    return chat


def chat_transfer(*, chat_id: int, agent, to_agent_id: int, now: datetime) -> Chat:
    """Hand an active chat to a colleague who is online and under their limit. The transcript is the
    ticket's, so it goes along; a note records the handover."""
    with transaction.atomic():
        chat = Chat.objects.select_for_update().select_related("ticket").get(pk=chat_id)
        if chat.status != Status.ACTIVE or chat.agent_id != agent.pk:
            raise ValidationError({"chat": ["Only the agent holding an active chat can transfer it."]})
        to_agent = (
            get_user_model().objects.filter(pk=to_agent_id, is_active=True).exclude(pk=agent.pk).first()
        )
        if to_agent is None or not to_agent.has_perm("tickets.change_ticket"):
            raise ValidationError({"to": ["Choose a colleague who answers chats."]})
        _may_take(to_agent, now=now)
        chat.agent = to_agent
        chat.save(update_fields=["agent"])
        services.ticket_assign(ticket=chat.ticket, agent=to_agent, now=now)
        Message.objects.create(
            ticket=chat.ticket,
            direction=Message.Direction.NOTE,
            channel=Ticket.Channel.CHAT,
            author=agent,
            text=f"Chat transferred from {agent.get_username()} to {to_agent.get_username()}.",
            created_at=now,
        )
    return chat


def transfer_targets(*, agent, now: datetime) -> list[dict]:
    """Colleagues online and available, with how many chats each holds."""
    presences = (
        online_presences(now=now)
        .filter(status=ChatPresence.Status.AVAILABLE)
        .exclude(user=agent)
        .select_related("user")
        .annotate(held=Count("user__chats", filter=Q(user__chats__status=Status.ACTIVE)))
        .order_by("held", "user__username")
    )
    return [
        {"id": p.user_id, "name": p.user.get_username(), "held": p.held, "limit": agent_limit(p)}
        for p in presences
        if p.held < agent_limit(p)
    ]


# --- Ending ------------------------------------------------------------------------------------------


def _chat_close(chat: Chat, status: str, *, now: datetime) -> None:
    """End a chat (locked by the caller) as ended or missed, if the transition map allows it. Accepting is
    the other move, made by a conditional update on a waiting chat (chat_accept)."""
    if status not in TRANSITIONS[chat.status]:
        raise ValidationError({"chat": [f"A {chat.status} chat cannot become {status}."]})
    chat.status, chat.ended_at = status, now
    chat.save(update_fields=["status", "ended_at"])


def _chat_ended_event(chat: Chat, *, outcome: str, by: str, now: datetime) -> None:
    waited = ((chat.accepted_at or now) - chat.started_at).total_seconds()
    event_record(
        customer=chat.ticket.customer,
        kind="chat_ended",
        occurred_at=now,
        summary=f"Chat {chat.ticket.reference} {outcome}"[:300],
        data={
            "chat": chat.pk,
            "ticket": chat.ticket_id,
            "reference": chat.ticket.reference,
            "outcome": outcome,
            "by": by,
            "agent": chat.agent_id,
            "waited_seconds": round(waited),
        },
        key=f"chat_ended:{chat.pk}",
    )


def chat_end(*, chat_id: int, by: str, agent=None, now: datetime) -> Chat:
    """Either side ends the chat. An answered chat resolves its ticket (the widget then asks for a
    rating); one the customer leaves before anyone answered is missed, to be answered by email."""
    with transaction.atomic():
        chat = Chat.objects.select_for_update().select_related("ticket__customer").get(pk=chat_id)
        if agent is not None and chat.agent_id != agent.pk:
            raise ValidationError({"chat": ["This chat is not yours to end."]})
        if chat.status in (Status.ENDED, Status.MISSED):
            return chat
        if chat.status == Status.WAITING:
            return _chat_miss(chat, by=by, now=now)
        _chat_close(chat, Status.ENDED, now=now)
        # An agent may have resolved or closed the ticket in the inbox meanwhile: the chat ends all the same.
        if Ticket.Status.RESOLVED in services.TRANSITIONS[chat.ticket.status]:
            services.ticket_status_set(ticket=chat.ticket, status=Ticket.Status.RESOLVED, now=now, actor=by)
        _chat_ended_event(chat, outcome="ended", by=by, now=now)
    return chat


def _chat_miss(chat: Chat, *, by: str, now: datetime) -> Chat:
    _chat_close(chat, Status.MISSED, now=now)
    ticket, customer = chat.ticket, chat.ticket.customer
    outbound.message_record(
        ticket=ticket,
        kind=Message.Kind.AUTO_REPLY,
        subject=f"[{ticket.reference}] We will answer your chat by email",
        text=render_to_string(
            "tickets/email/chat_missed.txt",
            {
                "ticket": ticket,
                "customer": customer,
                "question": ticket.messages.filter(direction=Message.Direction.INBOUND).first(),
                "requests_url": site_url("/requests/"),
            },
        ).strip(),
        to=customer.email,
        now=now,
        skip_reason="" if customer.email else "The customer has no email address.",
    )
    _chat_ended_event(chat, outcome="missed", by=by, now=now)
    return chat


def chats_missed(*, now: datetime, batch: int = 500) -> str:
    """A tick job: chats nobody accepted by their answer time become missed tickets, each followed up by
    email once. Claimed with skip_locked, so two ticks never follow one chat up twice."""
    missed = 0
    while True:
        with transaction.atomic():
            chats = list(
                Chat.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Status.WAITING, answer_due_at__lte=now)
                .select_related("ticket__customer")
                .order_by("answer_due_at", "pk")[:batch]
            )
            for chat in chats:
                _chat_miss(chat, by="timeout", now=now)
        missed += len(chats)
        if len(chats) < batch:
            break
    return f"{missed} missed chats followed up by email"


def chat_rate(*, chat: Chat, rating, comment: str = "", now: datetime):
    """The customer's rating of an ended chat, from the widget."""
    if chat.status != Status.ENDED:
        raise ValidationError({"chat": ["A chat is rated once it has ended."]})
    if not isinstance(rating, int) or isinstance(rating, bool):
        raise ValidationError({"rating": ["Choose a rating from 1 to 5."]})
    return csat_record(ticket=chat.ticket, rating=rating, comment=str(comment or "")[:2000], now=now)
