"""The chat sockets in-process (channels' WebsocketCommunicator, the in-memory layer): a customer and an
agent talking, typing and read marks, resuming after a dropped connection without losing or doubling a
message, one agent holding five chats, transfer, and a widget that cannot read a chat that is not its
own whatever token it shows."""

from contextlib import asynccontextmanager

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator

from carecrm import clock
from tests.factories import UserFactory
from tickets.chat import identity, services
from tickets.chat.consumers import AgentConsumer, VisitorConsumer
from tickets.models import Chat, Message

# The consumers' database calls run in other threads: each test commits and is flushed afterwards.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shop_mail", "memory_layer")]
SECRET = "shop-and-carecrm-share-this-secret-0123456789"
TIMEOUT = 3


@pytest.fixture
def memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@asynccontextmanager
async def visitor(origin="https://care.shop.example"):
    socket = WebsocketCommunicator(
        VisitorConsumer.as_asgi(), "/ws/chat/", headers=[(b"origin", origin.encode())]
    )
    connected, _ = await socket.connect()
    assert connected
    try:
        yield socket
    finally:
        await socket.disconnect()


@asynccontextmanager
async def agent_socket(user):
    socket = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/chat/agent/")
    socket.scope["user"] = user
    connected, _ = await socket.connect()
    assert connected
    try:
        state = await receive(socket, "state")
        yield socket, state
    finally:
        await socket.disconnect()


async def receive(socket, kind: str, **match) -> dict:
    """The next frame of this type (and fields), skipping others such as queue updates."""
    while True:
        frame = await socket.receive_json_from(timeout=TIMEOUT)
        if frame["type"] == "error" and kind != "error":
            raise AssertionError(frame["detail"])
        if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame


async def receive_message(socket, client_id: str) -> dict:
    while True:
        frame = await receive(socket, "message")
        if frame["message"]["client_id"] == client_id:
            return frame["message"]


async def start_chat(socket, n: int = 1, email="ana@mail.example", text="Is it waterproof?") -> dict:
    await socket.send_json_to({"type": "hello", "visitor": f"visitor-{n}"})
    await receive(socket, "welcome")
    await socket.send_json_to({"type": "start", "text": text, "email": email, "client_id": f"first-{n:05d}"})
    started = await receive(socket, "started")
    await receive_message(socket, f"first-{n:05d}")
    return started["chat"]


def agent(username="alex", **fields):
    user = UserFactory(username=username, role="agent", first_name=username.title(), **fields)
    services.presence_set(agent=user, status="available", now=clock.now())
    return user


def test_customer_and_agent_exchange_messages_typing_and_read_marks():
    alex = agent()

    async def scenario():
        async with visitor() as customer, agent_socket(alex) as (console, state):
            assert state["presence"] == "available" and state["queue"] == []
            chat = await start_chat(customer)
            queue = await receive(console, "queue")
            assert [c["id"] for c in queue["queue"]] == [chat["id"]]
            assert queue["queue"][0]["customer"]["email"] == "ana@mail.example"

            await console.send_json_to({"type": "accept", "chat": chat["id"]})
            opened = await receive(console, "chat")
            assert [m["text"] for m in opened["chat"]["messages"]] == ["Is it waterproof?"]
            assert (await receive(customer, "status"))["agent"] == "Alex"

            await console.send_json_to({"type": "typing", "chat": chat["id"], "on": True})
            assert (await receive(customer, "typing"))["on"] is True
            await console.send_json_to(
                {"type": "message", "chat": chat["id"], "text": "Yes, fully.", "client_id": "alex-00001"}
            )
            answer = await receive_message(customer, "alex-00001")
            assert (
                answer["from"] == "agent" and answer["author"] == "Alex" and answer["text"] == "Yes, fully."
            )
            await receive_message(console, "alex-00001")

            await customer.send_json_to({"type": "read", "upto": answer["id"]})
            assert (await receive(console, "read"))["upto"] == answer["id"]
            await customer.send_json_to(
                {"type": "message", "text": "Great, thanks", "client_id": "ana-000002"}
            )
            assert (await receive_message(console, "ana-000002"))["from"] == "customer"

            await customer.send_json_to({"type": "end"})
            assert (await receive(console, "status"))["status"] == "ended"
            await customer.send_json_to({"type": "rate", "rating": 5, "comment": "Fast"})
            assert (await receive(customer, "rated"))["rating"] == 5

    async_to_sync(scenario)()
    chat = Chat.objects.get()
    assert chat.status == "ended" and chat.ticket.csat.rating == 5
    assert list(chat.ticket.messages.values_list("text", flat=True)) == [
        "Is it waterproof?",
        "Yes, fully.",
        "Great, thanks",
    ]


def test_a_dropped_connection_resumes_with_every_message_once():
    alex = agent()

    async def scenario():
        async with agent_socket(alex) as (console, _):
            async with visitor() as customer:
                chat = await start_chat(customer)
                await console.send_json_to({"type": "accept", "chat": chat["id"]})
                await receive(customer, "status")
                await customer.send_json_to({"type": "message", "text": "Second", "client_id": "ana-000002"})
                seen = await receive_message(customer, "ana-000002")
            # While the customer is away the agent answers twice.
            for n in (1, 2):
                await console.send_json_to(
                    {
                        "type": "message",
                        "chat": chat["id"],
                        "text": f"Answer {n}",
                        "client_id": f"alex-0000{n}",
                    }
                )
                await receive_message(console, f"alex-0000{n}")
            async with visitor() as again:
                await again.send_json_to(
                    {"type": "hello", "visitor": "visitor-1", "chat": chat, "after": seen["id"]}
                )
                await receive(again, "welcome")
                resumed = await receive(again, "chat")
                assert [m["text"] for m in resumed["chat"]["messages"]] == ["Answer 1", "Answer 2"]
                assert resumed["chat"]["agent"] == "Alex"
                # The widget resends what it never saw acknowledged: kept once, acknowledged again.
                await again.send_json_to({"type": "message", "text": "Second", "client_id": "ana-000002"})
                assert (await receive_message(again, "ana-000002"))["id"] == seen["id"]
                await again.send_json_to({"type": "message", "text": "Third", "client_id": "ana-000003"})
                await receive_message(console, "ana-000003")

    async_to_sync(scenario)()
    texts = list(Message.objects.values_list("text", flat=True))
    assert texts == ["Is it waterproof?", "Second", "Answer 1", "Answer 2", "Third"]


def test_one_agent_holds_five_chats_and_each_gets_its_own_answer(settings):
    settings.CARECRM = {**settings.CARECRM, "CHAT_MAX_PER_AGENT": 5}
    alex = agent()

    async def scenario():
        async with agent_socket(alex) as (console, _):
            customers, chats = [], []
            for n in range(5):
                socket = WebsocketCommunicator(VisitorConsumer.as_asgi(), "/ws/chat/")
                assert (await socket.connect())[0]
                customers.append(socket)
                chats.append(await start_chat(socket, n, email=f"c{n}@mail.example", text=f"Question {n}"))
                await console.send_json_to({"type": "accept", "chat": chats[-1]["id"]})
                await receive(console, "chat")
            for n, chat in enumerate(chats):
                await console.send_json_to(
                    {
                        "type": "message",
                        "chat": chat["id"],
                        "text": f"Answer {n}",
                        "client_id": f"answer-{n:04d}",
                    }
                )
            for n, socket in enumerate(customers):
                got = await receive(socket, "message")
                while got["message"]["from"] != "agent":
                    got = await receive(socket, "message")
                assert got["message"]["text"] == f"Answer {n}"
            sixth = WebsocketCommunicator(VisitorConsumer.as_asgi(), "/ws/chat/")
            await sixth.connect()
            chat = await start_chat(sixth, 6)
            await console.send_json_to({"type": "accept", "chat": chat["id"]})
            assert "already holds 5 of 5" in (await receive(console, "error"))["detail"]
            for socket in [*customers, sixth]:
                await socket.disconnect()

    async_to_sync(scenario)()
    assert Chat.objects.filter(agent=alex, status="active").count() == 5


def test_transfer_hands_the_whole_transcript_to_the_colleague():
    alex, bea = agent("alex"), agent("bea")

    async def scenario():
        async with visitor() as customer, agent_socket(alex) as (first, _), agent_socket(bea) as (second, _):
            chat = await start_chat(customer)
            await first.send_json_to({"type": "accept", "chat": chat["id"]})
            await receive(first, "chat")
            await first.send_json_to(
                {"type": "message", "chat": chat["id"], "text": "One moment", "client_id": "alex-00001"}
            )
            await receive_message(first, "alex-00001")
            await first.send_json_to({"type": "targets"})
            assert [a["name"] for a in (await receive(first, "targets"))["agents"]] == ["bea"]

            await first.send_json_to({"type": "transfer", "chat": chat["id"], "to": bea.pk})
            handed = await receive(second, "chat")
            assert [m["text"] for m in handed["chat"]["messages"]] == [
                "Is it waterproof?",
                "One moment",
                "Chat transferred from alex to bea.",
            ]
            assert (await receive(first, "removed"))["chat"] == chat["id"]
            await receive(customer, "status", agent="Bea")
            await first.send_json_to(
                {"type": "message", "chat": chat["id"], "text": "Still me", "client_id": "alex-00002"}
            )
            assert "not yours" in (await receive(first, "error"))["detail"]
            await second.send_json_to(
                {"type": "message", "chat": chat["id"], "text": "Bea here", "client_id": "bea-000001"}
            )
            assert (await receive_message(customer, "bea-000001"))["author"] == "Bea"

    async_to_sync(scenario)()


def test_the_widget_cannot_read_another_customers_chat_with_a_forged_or_replayed_token(settings):
    settings.CARECRM = {**settings.CARECRM, "CHAT_IDENTITY_SECRET": SECRET}
    agent()  # someone is online, so chats are offered
    now = clock.now()

    def token(secret=SECRET, jti="nonce-ada-1"):
        claims = {
            "email": "ada@mail.example",
            "first_name": "Ada",
            "exp": int(now.timestamp()) + 600,
            "jti": jti,
        }
        return identity.identity_token(claims, secret=secret)

    ada_token = token()

    async def scenario():
        async with visitor() as ada:
            await ada.send_json_to({"type": "hello", "visitor": "ada-browser", "token": ada_token})
            welcome = await receive(ada, "welcome")
            assert welcome["identified"] and welcome["name"] == "Ada"
            await ada.send_json_to(
                {"type": "start", "text": "My address changed", "client_id": "ada-0000001"}
            )
            chat = (await receive(ada, "started"))["chat"]

        for shown in (
            ada_token,
            token(secret="guessed-secret-guessed-secret-guessed"),
            token(jti="nonce-ada-2"),
        ):
            async with visitor() as intruder:
                # The intruder knows the chat's id (ids are sequential) but not its key.
                await intruder.send_json_to(
                    {
                        "type": "hello",
                        "visitor": "intruder",
                        "token": shown,
                        "chat": {"id": chat["id"], "key": "guess"},
                    }
                )
                welcome = await receive(intruder, "welcome")
                assert welcome.get("chat_gone") is True
                await intruder.send_json_to(
                    {"type": "message", "text": "Show me", "client_id": "intruder-01"}
                )
                assert (await receive(intruder, "error"))["detail"] == "Start a chat first."
                assert await intruder.receive_nothing(timeout=0.3)
                if shown is ada_token:
                    assert "already used" in welcome["identity_error"]
                elif "jti" not in welcome.get("identity_error", "") and welcome["identified"]:
                    # A genuine fresh token for Ada identifies her, and still opens no chat of hers.
                    assert welcome["name"] == "Ada"
                else:
                    assert "not valid" in welcome["identity_error"]

    async_to_sync(scenario)()
    assert Message.objects.count() == 1


def test_resent_frames_odd_input_and_a_second_chat_on_one_connection(settings):
    settings.CARECRM = {**settings.CARECRM, "CHAT_STARTS_PER_HOUR": 2}
    alex = agent()

    async def scenario():
        async with visitor() as customer, agent_socket(alex) as (console, _):
            chat = await start_chat(customer)
            await console.send_json_to({"type": "accept", "chat": chat["id"]})
            await receive(console, "chat")
            for _ in range(2):  # the agent's answer resent after a lost echo: kept once, echoed again
                await console.send_json_to(
                    {"type": "message", "chat": chat["id"], "text": "Hi", "client_id": "alex-00001"}
                )
                assert (await receive_message(console, "alex-00001"))["author"] == "Alex"
            for frame in (
                {"type": "read", "upto": 10**20},
                {"type": "page", "url": "http://["},
                {"type": "message", "text": "x", "client_id": 'bad"id]xx'},
            ):
                await customer.send_json_to(frame)
            assert "letters, digits" in (await receive(customer, "error"))["detail"]
            await customer.send_json_to({"type": "end"})
            await receive(customer, "status", status="ended")
            # A second chat on the same connection, then the address's limit.
            await customer.send_json_to(
                {
                    "type": "start",
                    "text": "One more thing",
                    "client_id": "second-0001",
                    "email": "ana@mail.example",
                }
            )
            second = await receive(customer, "started")
            assert second["chat"]["id"] != chat["id"]
            await customer.send_json_to({"type": "end"})
            await receive(customer, "status")
            await customer.send_json_to(
                {
                    "type": "start",
                    "text": "And another",
                    "client_id": "third-00001",
                    "email": "ana@mail.example",
                }
            )
            assert "Too many chats" in (await receive(customer, "error"))["detail"]

    async_to_sync(scenario)()
    assert Message.objects.filter(client_id="alex-00001").count() == 1


def test_a_signed_in_shoppers_chat_is_not_given_back_to_the_next_visitor_of_the_browser(settings):
    settings.CARECRM = {**settings.CARECRM, "CHAT_IDENTITY_SECRET": SECRET}
    agent()
    now = clock.now()
    token = identity.identity_token(
        {"email": "ada@mail.example", "exp": int(now.timestamp()) + 600, "jti": "nonce-ada-7"}, secret=SECRET
    )

    async def scenario():
        async with visitor() as ada:
            await ada.send_json_to({"type": "hello", "visitor": "shared-pc", "token": token})
            await receive(ada, "welcome")
            await ada.send_json_to({"type": "start", "text": "My order", "client_id": "ada-0000001"})
            chat = (await receive(ada, "started"))["chat"]
        async with visitor() as next_one:
            # Same browser storage (id and key), but signed out at the shop.
            await next_one.send_json_to({"type": "hello", "visitor": "shared-pc", "chat": chat})
            assert (await receive(next_one, "welcome")).get("chat_gone") is True
            assert await next_one.receive_nothing(timeout=0.3)

    async_to_sync(scenario)()


def test_pages_of_other_sites_and_signed_out_consoles_are_refused():
    marketer = UserFactory(username="mo", role="marketer")

    async def scenario():
        socket = WebsocketCommunicator(
            VisitorConsumer.as_asgi(), "/ws/chat/", headers=[(b"origin", b"https://evil.example")]
        )
        connected, code = await socket.connect()
        assert not connected and code == 4403
        console = WebsocketCommunicator(AgentConsumer.as_asgi(), "/ws/chat/agent/")
        console.scope["user"] = marketer
        connected, code = await console.connect()
        assert not connected and code == 4403

    async_to_sync(scenario)()


def test_bad_frames_get_an_error_and_the_socket_stays_open():
    async def scenario():
        async with visitor() as customer:
            for frame in [
                "not json",
                "[1, 2]",
                '{"type": "launch"}',
                '{"type": "start", "text": "", "client_id": "x"}',
            ]:
                await customer.send_to(text_data=frame)
                assert (await customer.receive_json_from(timeout=TIMEOUT))["type"] == "error"
            await customer.send_json_to({"type": "ping"})
            assert (await receive(customer, "pong"))["available"] is False

    async_to_sync(scenario)()


def test_a_spent_token_is_followed_by_the_session_it_earned_for_this_browser_only(settings):
    settings.CARECRM = {**settings.CARECRM, "CHAT_IDENTITY_SECRET": SECRET}
    now = clock.now()
    token = identity.identity_token(
        {
            "email": "ada@mail.example",
            "first_name": "Ada",
            "exp": int(now.timestamp()) + 600,
            "jti": "nonce-ada-9",
        },
        secret=SECRET,
    )

    async def hello(**fields) -> dict:
        async with visitor() as socket:
            await socket.send_json_to({"type": "hello", **fields})
            return await receive(socket, "welcome")

    async def scenario():
        first = await hello(visitor="ada-browser", token=token)
        assert first["identified"] and first["session"]
        # Reconnecting: the token is spent, the session stands for it.
        assert (await hello(visitor="ada-browser", session=first["session"]))["name"] == "Ada"
        # Another browser holding the same session, or a tampered one, is nobody.
        assert not (await hello(visitor="other-browser", session=first["session"]))["identified"]
        assert not (await hello(visitor="ada-browser", session=first["session"][:-2] + "xx"))["identified"]

    async_to_sync(scenario)()
