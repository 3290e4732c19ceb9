"""What the chat sockets send: the queue, a chat with its transcript, one message, as plain JSON-ready
dicts. Each is a fixed number of queries, whatever the transcript's or the queue's length."""

from datetime import datetime

from tickets.chat.services import agent_display_name, transcript
from tickets.models import Chat, Message

QUEUE_LIMIT = 100
_SIDES = {
    Message.Direction.INBOUND: "customer",
    Message.Direction.OUTBOUND: "agent",
    Message.Direction.NOTE: "note",
}


def message_payload(message: Message) -> dict:
    side = _SIDES[message.direction]
    if side == "agent":
        author = agent_display_name(message.author)
    elif side == "note":
        author = message.author.get_username() if message.author else ""
    else:
        author = ""
    return {
        "id": message.pk,
        "client_id": message.client_id,
        "from": side,
        "author": author,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def _customer(chat: Chat) -> dict:
    customer = chat.ticket.customer
    return {
        "id": customer.pk,
        "name": f"{customer.first_name} {customer.last_name}".strip() or customer.email,
        "email": customer.email,
        "identified": chat.identified,
    }


def queue(*, now: datetime) -> list[dict]:
    """Waiting chats, longest waiting first, with the customer and the first words."""
    chats = (
        Chat.objects.filter(status=Chat.Status.WAITING)
        .select_related("ticket__customer")
        .order_by("started_at", "pk")[:QUEUE_LIMIT]
    )
    return [
        {
            "id": chat.pk,
            "reference": chat.ticket.reference,
            "subject": chat.ticket.subject,
            "customer": _customer(chat),
            "started_at": chat.started_at.isoformat(),
            "waiting_seconds": max(0, round((now - chat.started_at).total_seconds())),
            "page_url": chat.page_url,
            "invited": chat.invitation_id is not None,
        }
        for chat in chats
    ]


def agent_chats(user) -> list[Chat]:
    return list(
        Chat.objects.filter(agent=user, status=Chat.Status.ACTIVE)
        .select_related("ticket__customer")
        .order_by("accepted_at", "pk")
    )


def chat_for_agent(chat: Chat, *, after: int = 0) -> dict:
    return {
        "id": chat.pk,
        "ticket": chat.ticket_id,
        "reference": chat.ticket.reference,
        "status": chat.status,
        "customer": _customer(chat),
        "started_at": chat.started_at.isoformat(),
        "page_url": chat.page_url,
        "customer_read_id": chat.customer_read_id,
        "messages": [message_payload(m) for m in transcript(chat, after=after, notes=True)],
    }


def chat_for_customer(chat: Chat, *, after: int = 0) -> dict:
    return {
        "id": chat.pk,
        "status": chat.status,
        "agent": agent_display_name(chat.agent) or None,
        "agent_read_id": chat.agent_read_id,
        "messages": [message_payload(m) for m in transcript(chat, after=after)],
    }
