"""The chat sockets. They parse what a browser sends, call tickets.chat.services (which write first) and
pass what happened to the other sockets of the chat through the channel layer. Nothing is only in a
socket: a reconnecting widget or console asks for what came after the last message it has.

Visitor socket `/ws/chat/` (the widget, no cookies): JSON messages with a `type`.
    → hello {visitor, token? | session?, chat?: {id, key}, after?, page?: {url, cart?}}  ← welcome, chat?
    → start {text, client_id, email?, name?, invitation?}                    ← started {chat: {id, key}}
    → message {text, client_id}, typing {on}, read {upto}, end, rate {rating, comment?}
    → page {url, cart?}                                                       ← invitation {id, text}?
    → invitation {id, answer: accepted|declined}, ping                        ← pong {status}
    ← message {message}, typing {on}, read {upto}, status {status, agent}, error {detail}

Agent socket `/ws/chat/agent/` (the console, signed-in session, same site):
    → ping, presence {status}, accept {chat}, message {chat, text, client_id}, typing {chat, on},
      read {chat, upto}, transfer {chat, to}, targets, end {chat}, sync {chat, after}
    ← state {presence, limit, queue, chats}, queue {queue}, chat {chat}, removed {chat}, message {chat,
      message}, typing {chat, on}, read {chat, upto}, status {chat, status, agent}, targets {agents},
      error {detail}"""

import json
import logging
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError

from carecrm import clock, ratelimit
from carecrm.links import site_url
from tickets.chat import identity, invitations, selectors, services
from tickets.models import Chat

logger = logging.getLogger(__name__)
AGENTS_GROUP = "chat.agents"
# New chats one address may open an hour (CARECRM_CHAT_STARTS_PER_HOUR), as the contact form limits
# tickets: each is a ticket, and a missed one an email.
HOUR = 3600
# More than this many messages from one socket in RATE_WINDOW seconds are refused: a stuck client or a
# script cannot flood an agent.
RATE_LIMIT, RATE_WINDOW = 30, 10.0
MAX_FRAME = 64 * 1024


def chat_group(chat_id: int) -> str:
    return f"chat.{chat_id}"


def agent_group(user_id: int) -> str:
    return f"chat.agent.{user_id}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origin_allowed(origin: str) -> bool:
    allowed = {_origin(site_url("/")), *(_origin(o) for o in settings.CARECRM["CHAT_ALLOWED_ORIGINS"])}
    return _origin(origin) in allowed - {""}


def _refusal(error: ValidationError) -> str:
    return "; ".join(error.messages)


class _JsonSocket(AsyncJsonWebsocketConsumer):
    """What both sockets share: bad frames get an error answer instead of closing the socket, and a
    socket sending too fast is told to slow down."""

    async def connect(self):
        self.sent_at: list[float] = []
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None or len(text_data) > MAX_FRAME:
            return await self.error("Send JSON text frames under 64 KB.")
        try:
            content = json.loads(text_data)
        except ValueError:
            return await self.error("That was not JSON.")
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            return await self.error('Send an object with a "type".')
        moment = time.monotonic()
        self.sent_at = [at for at in self.sent_at if moment - at < RATE_WINDOW] + [moment]
        if len(self.sent_at) > RATE_LIMIT:
            return await self.error("Too many messages at once; wait a moment.")
        handler = self.handlers.get(content["type"])
        if handler is None:
            return await self.error(f"Unknown type {content['type'][:40]!r}.")
        try:
            await handler(self, content)
        except ValidationError as error:
            await self.error(_refusal(error))
        except Chat.DoesNotExist:
            await self.error("No such chat.")
        except Exception:
            # A bug must not drop the socket (the client would reconnect and send the same frame again).
            logger.exception("chat frame %s failed", content["type"][:40])
            await self.error("Something went wrong; try again.")

    async def error(self, detail: str):
        await self.send_json({"type": "error", "detail": detail})

    async def to_chat(self, chat_id: int, event: dict):
        await self.channel_layer.group_send(
            chat_group(chat_id), {"type": "chat.event", "event": {**event, "chat": chat_id}}
        )

    async def queue_changed(self):
        queue = await database_sync_to_async(selectors.queue)(now=clock.now())
        await self.channel_layer.group_send(AGENTS_GROUP, {"type": "queue.event", "queue": queue})


class VisitorConsumer(_JsonSocket):
    async def connect(self):
        self.visitor = ""
        self.customer = None
        self.chat_id = None
        origin = dict(self.scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
        if origin and not origin_allowed(origin):
            await self.close(code=4403)
            return
        await super().connect()

    def _address(self) -> str:
        """The client's address as the rate limits count it (behind trusted proxies, the one they saw)."""
        headers = dict(self.scope.get("headers", []))
        meta = {
            "REMOTE_ADDR": (self.scope.get("client") or ("",))[0],
            "HTTP_X_FORWARDED_FOR": headers.get(b"x-forwarded-for", b"").decode("latin-1"),
        }
        return ratelimit.client_ip(SimpleNamespace(META=meta))

    async def disconnect(self, code):
        if self.chat_id:
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)

    async def _join(self, chat_id: int):
        if self.chat_id and self.chat_id != chat_id:
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)
        self.chat_id = chat_id
        await self.channel_layer.group_add(chat_group(chat_id), self.channel_name)

    async def hello(self, content):
        self.visitor = str(content.get("visitor") or "")[:64]
        welcome, resumed = await database_sync_to_async(self._hello)(content)
        await self.send_json(welcome)
        if resumed is not None:
            await self._join(resumed["id"])
            await self.send_json({"type": "chat", "chat": resumed})
        elif content.get("page"):
            await self.page(content["page"])

    def _hello(self, content) -> tuple[dict, dict | None]:
        now = clock.now()
        welcome = {
            "type": "welcome",
            "available": services.chat_available(now=now),
            "contact_url": site_url("/contact/"),
            "identified": False,
            "name": "",
        }
        token = content.get("token")
        known = None
        if isinstance(token, str) and token:
            try:
                known = identity.identity_verify(token, now=now)
            except identity.IdentityRefused as refused:
                welcome["identity_error"] = str(refused)
            else:
                welcome["session"] = identity.identity_session(known, visitor=self.visitor)
        else:
            known = identity.identity_resume(content.get("session"), visitor=self.visitor, now=now)
        if known is not None:
            self.customer = known.customer
            welcome.update(identified=True, name=known.name)
        resumed = None
        wanted = content.get("chat")
        if isinstance(wanted, dict):
            chat = services.chat_for_visitor(chat_id=wanted.get("id"), key=wanted.get("key"))
            # A signed-in shopper's chat is theirs only: on a shared computer the next visitor, signed out
            # or someone else, does not get it back from the browser's storage.
            if (
                chat is not None
                and chat.identified
                and chat.ticket.customer_id != getattr(self.customer, "pk", None)
            ):
                chat = None
            if chat is None:
                welcome["chat_gone"] = True
            else:
                after = content.get("after")
                resumed = selectors.chat_for_customer(chat, after=after if isinstance(after, int) else 0)
        return welcome, resumed

    async def start(self, content):
        if self.chat_id:
            status = await database_sync_to_async(self._status)()
            if status["status"] in (Chat.Status.WAITING, Chat.Status.ACTIVE):
                return await self.error("This chat is already open.")
            # The last chat is over and the customer starts another on the same connection.
            await self.channel_layer.group_discard(chat_group(self.chat_id), self.channel_name)
            self.chat_id = None
        if not await database_sync_to_async(ratelimit.hit)(
            f"chat-start:{self._address()}", settings.CARECRM["CHAT_STARTS_PER_HOUR"], HOUR
        ):
            return await self.error("Too many chats from this address; please use the contact form.")
        invitation = content.get("invitation")
        started = await database_sync_to_async(services.chat_start)(
            text=content.get("text") if isinstance(content.get("text"), str) else "",
            client_id=content.get("client_id"),
            email=str(content.get("email") or "")[:254] if self.customer is None else "",
            name=str(content.get("name") or "")[:150],
            customer=self.customer,
            page_url=str(content.get("page_url") or "")[:500],
            invitation_id=invitation if isinstance(invitation, int) else None,
            visitor=self.visitor,
            key=content.get("key"),
            now=clock.now(),
        )
        await self._join(started.chat.pk)
        await self.send_json({"type": "started", "chat": {"id": started.chat.pk, "key": started.key}})
        await self.to_chat(
            started.chat.pk, {"type": "message", "message": selectors.message_payload(started.message)}
        )
        await self.queue_changed()

    async def message(self, content):
        if not self.chat_id:
            return await self.error("Start a chat first.")
        text = content.get("text") if isinstance(content.get("text"), str) else ""
        message, created = await database_sync_to_async(self._post)(text, content.get("client_id"))
        event = {"type": "message", "message": selectors.message_payload(message)}
        if created:
            await self.to_chat(self.chat_id, event)
        else:
            await self.send_json({**event, "chat": self.chat_id})

    def _post(self, text, client_id):
        chat = Chat.objects.get(pk=self.chat_id)
        return services.chat_message_post(chat=chat, text=text, client_id=client_id, now=clock.now())

    async def typing(self, content):
        if self.chat_id:
            await self.to_chat(
                self.chat_id, {"type": "typing", "on": bool(content.get("on")), "side": "customer"}
            )

    async def read(self, content):
        upto = content.get("upto")
        if self.chat_id and await database_sync_to_async(self._read)(upto):
            await self.to_chat(self.chat_id, {"type": "read", "upto": upto, "side": "customer"})

    def _read(self, upto) -> bool:
        return services.chat_read(chat=Chat(pk=self.chat_id), upto=upto, by_agent=False)

    async def end(self, content):
        if not self.chat_id:
            return
        chat = await database_sync_to_async(services.chat_end)(
            chat_id=self.chat_id, by="customer", now=clock.now()
        )
        await self.to_chat(self.chat_id, {"type": "status", "status": chat.status, "agent": None})
        await self.queue_changed()

    async def rate(self, content):
        if not self.chat_id:
            return await self.error("Start a chat first.")
        await database_sync_to_async(self._rate)(content.get("rating"), content.get("comment"))
        await self.send_json({"type": "rated", "rating": content.get("rating")})

    def _rate(self, rating, comment):
        chat = Chat.objects.select_related("ticket__customer").get(pk=self.chat_id)
        return services.chat_rate(chat=chat, rating=rating, comment=comment, now=clock.now())

    async def page(self, content):
        if self.chat_id or not isinstance(content, dict):
            return
        url = str(content.get("url") or "")[:500]
        found = await database_sync_to_async(invitations.invitation_for)(
            visitor=self.visitor,
            customer=self.customer,
            page_url=url,
            page_cart=content.get("cart"),
            now=clock.now(),
        )
        if found is not None:
            await self.send_json({"type": "invitation", "id": found.pk, "text": found.rule.text})

    async def invitation(self, content):
        await database_sync_to_async(invitations.invitation_answer)(
            invitation_id=content.get("id"),
            visitor=self.visitor,
            answer=content.get("answer"),
            now=clock.now(),
        )

    async def ping(self, content):
        status = await database_sync_to_async(self._status)()
        await self.send_json({"type": "pong", **status})

    def _status(self) -> dict:
        if not self.chat_id:
            return {"available": services.chat_available(now=clock.now())}
        chat = Chat.objects.select_related("agent").get(pk=self.chat_id)
        return {"status": chat.status, "agent": services.agent_display_name(chat.agent) or None}

    handlers = {
        "hello": hello,
        "start": start,
        "message": message,
        "typing": typing,
        "read": read,
        "end": end,
        "rate": rate,
        "page": page,
        "invitation": invitation,
        "ping": ping,
    }

    async def chat_event(self, event):
        inner = event["event"]
        if inner.get("side") == "customer" or (
            inner["type"] == "message" and inner["message"]["from"] == "note"
        ):
            return
        if inner["type"] in ("chat.assigned", "chat.removed"):
            return
        await self.send_json({key: value for key, value in inner.items() if key not in ("side", "agent_id")})


class AgentConsumer(_JsonSocket):
    async def connect(self):
        user = self.scope.get("user")
        if (
            user is None
            or not user.is_authenticated
            or not await database_sync_to_async(user.has_perm)("tickets.change_ticket")
        ):
            await self.close(code=4403)
            return
        self.user = user
        self.held: set[int] = set()
        await super().connect()
        await self.channel_layer.group_add(AGENTS_GROUP, self.channel_name)
        await self.channel_layer.group_add(agent_group(user.pk), self.channel_name)
        state = await database_sync_to_async(self._state)()
        for chat in state["chats"]:
            await self._hold(chat["id"])
        await self.send_json(state)

    def _state(self) -> dict:
        now = clock.now()
        presence = services.presence_set(agent=self.user, now=now)
        return {
            "type": "state",
            "presence": presence.status,
            "limit": services.agent_limit(presence),
            "queue": selectors.queue(now=now),
            "chats": [selectors.chat_for_agent(chat) for chat in selectors.agent_chats(self.user)],
        }

    async def disconnect(self, code):
        if not hasattr(self, "user"):
            return
        await self.channel_layer.group_discard(AGENTS_GROUP, self.channel_name)
        await self.channel_layer.group_discard(agent_group(self.user.pk), self.channel_name)
        for chat_id in self.held:
            await self.channel_layer.group_discard(chat_group(chat_id), self.channel_name)

    async def _hold(self, chat_id: int):
        self.held.add(chat_id)
        await self.channel_layer.group_add(chat_group(chat_id), self.channel_name)

    async def _release(self, chat_id: int):
        self.held.discard(chat_id)
        await self.channel_layer.group_discard(chat_group(chat_id), self.channel_name)

    def _chat_id(self, content) -> int:
        chat_id = content.get("chat")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise ValidationError({"chat": ["Name the chat by its id."]})
        return chat_id

    def _held(self, content) -> int:
        chat_id = self._chat_id(content)
        if chat_id not in self.held:
            raise ValidationError({"chat": ["This chat is not yours."]})
        return chat_id

    async def ping(self, content):
        # The check-in keeps the agent online, and answers with the queue: chats the tick marked missed
        # (in another process, with no socket to tell) leave it here.
        queue = await database_sync_to_async(self._check_in)()
        await self.send_json({"type": "queue", "queue": queue})

    def _check_in(self) -> list[dict]:
        now = clock.now()
        services.presence_set(agent=self.user, now=now)
        return selectors.queue(now=now)

    async def presence(self, content):
        presence = await database_sync_to_async(services.presence_set)(
            agent=self.user, status=content.get("status"), now=clock.now()
        )
        await self.send_json({"type": "presence", "presence": presence.status})

    async def accept_chat(self, content):
        chat_id = self._chat_id(content)
        await database_sync_to_async(services.chat_accept)(chat_id=chat_id, agent=self.user, now=clock.now())
        await self.channel_layer.group_send(
            agent_group(self.user.pk), {"type": "chat.assigned", "chat": chat_id}
        )
        await self.to_chat(
            chat_id,
            {
                "type": "status",
                "chat": chat_id,
                "status": "active",
                "agent": services.agent_display_name(self.user),
                "agent_id": self.user.pk,
            },
        )
        await self.queue_changed()

    async def message(self, content):
        chat_id = self._held(content)
        text = content.get("text") if isinstance(content.get("text"), str) else ""
        message, created = await database_sync_to_async(self._post)(chat_id, text, content.get("client_id"))
        event = {"type": "message", "chat": chat_id, "message": selectors.message_payload(message)}
        if created:
            await self.to_chat(chat_id, event)
        else:
            await self.send_json(event)

    def _post(self, chat_id, text, client_id):
        chat = Chat.objects.get(pk=chat_id)
        return services.chat_message_post(
            chat=chat, text=text, client_id=client_id, agent=self.user, now=clock.now()
        )

    async def typing(self, content):
        chat_id = self._held(content)
        await self.to_chat(
            chat_id, {"type": "typing", "chat": chat_id, "on": bool(content.get("on")), "side": "agent"}
        )

    async def read(self, content):
        chat_id = self._held(content)
        upto = content.get("upto")
        if await database_sync_to_async(services.chat_read)(chat=Chat(pk=chat_id), upto=upto, by_agent=True):
            await self.to_chat(chat_id, {"type": "read", "chat": chat_id, "upto": upto, "side": "agent"})

    async def transfer(self, content):
        chat_id = self._held(content)
        to = content.get("to")
        if not isinstance(to, int) or isinstance(to, bool):
            raise ValidationError({"to": ["Choose a colleague."]})
        chat = await database_sync_to_async(services.chat_transfer)(
            chat_id=chat_id, agent=self.user, to_agent_id=to, now=clock.now()
        )
        await self.channel_layer.group_send(agent_group(to), {"type": "chat.assigned", "chat": chat_id})
        await self.to_chat(
            chat_id,
            {
                "type": "status",
                "chat": chat_id,
                "status": "active",
                "agent": services.agent_display_name(chat.agent),
                "agent_id": to,
            },
        )

    async def targets(self, content):
        agents = await database_sync_to_async(services.transfer_targets)(agent=self.user, now=clock.now())
        await self.send_json({"type": "targets", "agents": agents})

    async def end(self, content):
        chat_id = self._held(content)
        chat = await database_sync_to_async(services.chat_end)(
            chat_id=chat_id, by=self.user.get_username(), agent=self.user, now=clock.now()
        )
        await self.to_chat(chat_id, {"type": "status", "chat": chat_id, "status": chat.status, "agent": None})

    async def sync(self, content):
        chat_id = self._held(content)
        after = content.get("after") if isinstance(content.get("after"), int) else 0
        chat = await database_sync_to_async(self._snapshot)(chat_id, after)
        await self.send_json({"type": "chat", "chat": chat})

    def _snapshot(self, chat_id: int, after: int = 0) -> dict:
        chat = Chat.objects.select_related("ticket__customer").get(pk=chat_id)
        return selectors.chat_for_agent(chat, after=after)

    handlers = {
        "ping": ping,
        "presence": presence,
        "accept": accept_chat,
        "message": message,
        "typing": typing,
        "read": read,
        "transfer": transfer,
        "targets": targets,
        "end": end,
        "sync": sync,
    }

    # From the channel layer.
    async def queue_event(self, event):
        await self.send_json({"type": "queue", "queue": event["queue"]})

    async def chat_assigned(self, event):
        chat_id = event["chat"]
        await self._hold(chat_id)
        await self.send_json({"type": "chat", "chat": await database_sync_to_async(self._snapshot)(chat_id)})

    async def chat_event(self, event):
        inner = event["event"]
        if inner.get("side") == "agent":
            return
        if inner["type"] == "status" and inner.get("agent_id") not in (None, self.user.pk):
            # Transferred to a colleague: this console lets go of it.
            await self._release(inner["chat"])
            await self.send_json({"type": "removed", "chat": inner["chat"]})
            return
        await self.send_json({key: value for key, value in inner.items() if key not in ("side", "agent_id")})
