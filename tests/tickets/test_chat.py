"""Live chat services: starting a chat as a ticket, messages kept once, the agents' queue, limit and
transfer, ending with a rating, missed chats answered by email, identity tokens and invitations."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from carecrm import jobs
from lifecycle.models import Event
from orders.models import Cart
from tests.factories import CustomerFactory, UserFactory
from tickets import outbound
from tickets.chat import identity, invitations, services
from tickets.models import Chat, ChatInvitation, ChatInvitationRule, CsatRating, Message, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SECRET = "shop-and-carecrm-share-this-secret-0123456789"


@pytest.fixture
def agent():
    user = UserFactory(username="alex", role="agent", first_name="Alex")
    services.presence_set(agent=user, status="available", now=NOW)
    return user


def start(text="Is the blue jacket waterproof?", email="ana@mail.example", n=1, **fields):
    return services.chat_start(text=text, client_id=f"client-{n:04d}", email=email, now=NOW, **fields)


def test_a_chat_is_a_chat_ticket_with_the_first_message_and_chat_started(agent):
    started = start()

    ticket = started.chat.ticket
    assert ticket.channel == Ticket.Channel.CHAT and ticket.status == Ticket.Status.NEW
    assert ticket.customer.email == "ana@mail.example"
    assert [m.text for m in ticket.messages.all()] == ["Is the blue jacket waterproof?"]
    assert started.chat.status == Chat.Status.WAITING and not started.chat.identified
    assert Event.objects.filter(kind="chat_started", customer=ticket.customer).count() == 1
    # A chat is not acknowledged by email: the customer is right there.
    assert not Message.objects.filter(kind=Message.Kind.AUTO_REPLY).exists()
    assert services.chat_for_visitor(chat_id=started.chat.pk, key=started.key) == started.chat
    assert services.chat_for_visitor(chat_id=started.chat.pk, key=started.key + "x") is None


def test_a_message_resent_with_its_client_id_is_kept_once(agent):
    chat = start().chat
    first, created = services.chat_message_post(chat=chat, text="Hello?", client_id="client-0002", now=NOW)
    again, created_again = services.chat_message_post(
        chat=chat, text="Hello?", client_id="client-0002", now=NOW
    )

    assert created and not created_again and again.pk == first.pk
    assert chat.ticket.messages.count() == 2


def test_one_agent_holds_five_chats_and_no_more_than_the_limit(agent, settings):
    settings.CARECRM = {**settings.CARECRM, "CHAT_MAX_PER_AGENT": 5}
    chats = [start(email=f"c{n}@mail.example", n=n).chat for n in range(6)]

    for chat in chats[:5]:
        services.chat_accept(chat_id=chat.pk, agent=agent, now=NOW + timedelta(seconds=30))
    with pytest.raises(ValidationError, match="already holds 5 of 5"):
        services.chat_accept(chat_id=chats[5].pk, agent=agent, now=NOW)

    assert Chat.objects.filter(agent=agent, status=Chat.Status.ACTIVE).count() == 5
    for chat in chats[:5]:
        services.chat_message_post(
            chat=chat,
            text=f"Hi from Alex to {chat.pk}",
            client_id=f"agent-{chat.pk:05d}",
            agent=agent,
            now=NOW,
        )
    answered = Ticket.objects.filter(chat__in=chats[:5])
    assert all(t.first_responded_at == NOW and t.assignee == agent and t.status == "open" for t in answered)
    # Chat answers are never emailed.
    assert not Message.objects.filter(channel="chat").exclude(delivery="").exists()


def test_a_chat_taken_by_one_agent_cannot_be_accepted_by_another(agent):
    other = UserFactory(username="bea", role="agent")
    services.presence_set(agent=other, status="available", now=NOW)
    chat = start().chat
    services.chat_accept(chat_id=chat.pk, agent=agent, now=NOW)

    with pytest.raises(ValidationError, match="no longer waiting"):
        services.chat_accept(chat_id=chat.pk, agent=other, now=NOW)
    with pytest.raises(ValidationError, match="not yours"):
        services.chat_message_post(chat=chat, text="Me too", client_id="bea-000001", agent=other, now=NOW)


def test_an_offline_agent_cannot_accept(agent):
    chat = start().chat
    with pytest.raises(ValidationError, match="not online"):
        services.chat_accept(chat_id=chat.pk, agent=agent, now=NOW + timedelta(minutes=5))


def test_transfer_keeps_the_transcript_and_notes_the_handover(agent):
    bea = UserFactory(username="bea", role="agent", first_name="Bea")
    services.presence_set(agent=bea, status="available", now=NOW)
    chat = start().chat
    services.chat_accept(chat_id=chat.pk, agent=agent, now=NOW)
    services.chat_message_post(chat=chat, text="Let me check.", client_id="alex-000001", agent=agent, now=NOW)

    assert [t["name"] for t in services.transfer_targets(agent=agent, now=NOW)] == ["bea"]
    services.chat_transfer(chat_id=chat.pk, agent=agent, to_agent_id=bea.pk, now=NOW)

    chat.refresh_from_db()
    assert chat.agent == bea and chat.ticket.assignee == bea
    texts = [m.text for m in services.transcript(chat, notes=True)]
    assert texts == ["Is the blue jacket waterproof?", "Let me check.", "Chat transferred from alex to bea."]
    # The customer's view of the transcript has no internal note.
    assert len(services.transcript(chat)) == 2
    with pytest.raises(ValidationError):
        services.chat_message_post(chat=chat, text="Still me", client_id="alex-000002", agent=agent, now=NOW)
    services.chat_message_post(chat=chat, text="Bea here.", client_id="bea-0000001", agent=bea, now=NOW)


def test_ending_resolves_the_ticket_and_the_rating_is_its_csat_without_a_survey_email(agent):
    chat = start().chat
    services.chat_accept(chat_id=chat.pk, agent=agent, now=NOW)
    services.chat_message_post(chat=chat, text="Yes, it is.", client_id="alex-000001", agent=agent, now=NOW)
    with pytest.raises(ValidationError, match="once it has ended"):
        services.chat_rate(chat=chat, rating=5, now=NOW)

    services.chat_end(chat_id=chat.pk, by="customer", now=NOW + timedelta(minutes=4))
    chat.refresh_from_db()
    services.chat_rate(chat=chat, rating=5, comment="Quick!", now=NOW + timedelta(minutes=5))

    chat.ticket.refresh_from_db()
    assert chat.status == Chat.Status.ENDED and chat.ticket.status == Ticket.Status.RESOLVED
    assert CsatRating.objects.get(ticket=chat.ticket).rating == 5
    ended = Event.objects.get(kind="chat_ended")
    assert ended.data["outcome"] == "ended" and ended.data["waited_seconds"] == 0
    assert not Message.objects.filter(kind=Message.Kind.CSAT_REQUEST).exists()
    with pytest.raises(ValidationError, match="ended"):
        services.chat_message_post(chat=chat, text="One more thing", client_id="client-0009", now=NOW)


def test_an_unanswered_chat_becomes_a_ticket_followed_up_by_email_once(agent):
    chat = start().chat
    due = chat.answer_due_at

    assert (
        jobs.get("chats_missed").run(now=due - timedelta(seconds=1)) == "0 missed chats followed up by email"
    )
    assert jobs.get("chats_missed").run(now=due) == "1 missed chats followed up by email"
    assert (
        jobs.get("chats_missed").run(now=due + timedelta(minutes=1)) == "0 missed chats followed up by email"
    )

    chat.refresh_from_db()
    assert chat.status == Chat.Status.MISSED
    assert chat.ticket.status == Ticket.Status.NEW and chat.ticket.assignee is None
    follow_up = Message.objects.get(ticket=chat.ticket, kind=Message.Kind.AUTO_REPLY)
    assert follow_up.to_address == "ana@mail.example" and "Is the blue jacket waterproof?" in follow_up.text
    outbound.messages_sweep(now=due + timedelta(minutes=2))
    assert len(mail.outbox) == 1 and chat.ticket.reference in mail.outbox[0].subject
    assert Event.objects.get(kind="chat_ended").data["outcome"] == "missed"


def test_a_customer_who_leaves_before_an_answer_is_followed_up_too(agent):
    chat = start().chat
    services.chat_end(chat_id=chat.pk, by="customer", now=NOW + timedelta(seconds=40))
    chat.refresh_from_db()
    assert chat.status == Chat.Status.MISSED
    assert Message.objects.filter(ticket=chat.ticket, kind="auto_reply", delivery="pending").count() == 1


def test_availability_needs_an_available_agent_online_within_chat_hours(agent, settings):
    assert services.chat_available(now=NOW)
    assert not services.chat_available(now=NOW + timedelta(minutes=2))
    services.presence_set(agent=agent, status="away", now=NOW)
    assert not services.chat_available(now=NOW)
    services.presence_set(agent=agent, status="available", now=NOW)

    from tickets.models import BusinessCalendar

    BusinessCalendar.objects.create(name="Chat", time_zone="Europe/Berlin")  # Monday to Friday, 9 to 5
    settings.CARECRM = {**settings.CARECRM, "CHAT_CALENDAR": "Chat"}
    assert services.chat_available(now=NOW)  # 11:00 in Berlin on a Monday
    services.presence_set(agent=agent, now=NOW.replace(hour=17))
    assert not services.chat_available(now=NOW.replace(hour=17))  # 18:00 in Berlin


# --- Identity tokens ---------------------------------------------------------------------------------


@pytest.fixture
def signed(settings):
    settings.CARECRM = {**settings.CARECRM, "CHAT_IDENTITY_SECRET": SECRET}

    def sign(secret=SECRET, **claims):
        claims = {
            "external_id": "C-1042",
            "email": "ada@mail.example",
            "exp": int(NOW.timestamp()) + 600,
            "jti": "nonce-0001",
            **claims,
        }
        return identity.identity_token(claims, secret=secret)

    return sign


def test_a_store_signed_token_names_the_customer_once(signed):
    known = CustomerFactory(email="ada@mail.example", external_id="C-1042", first_name="Ada")

    found = identity.identity_verify(signed(), now=NOW)
    assert found.customer == known and found.name.startswith("Ada")
    with pytest.raises(identity.IdentityRefused, match="already used"):
        identity.identity_verify(signed(), now=NOW)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"secret": "another-secret-another-secret-another-secret"}, "not valid"),
        ({"exp": int(NOW.timestamp()) - 3600}, "expired"),
        ({"exp": int(NOW.timestamp()) + 3 * 86400}, "longer than a day"),
        ({"jti": "short"}, "jti"),
        ({"aud": "another-app"}, "not valid"),
        ({"external_id": None, "email": None}, "names no customer"),
    ],
)
def test_forged_expired_or_incomplete_tokens_are_refused(signed, change, refusal):
    with pytest.raises(identity.IdentityRefused, match=refusal):
        identity.identity_verify(signed(**change), now=NOW)


def test_an_unsigned_token_is_refused(signed):
    import jwt

    unsigned = jwt.encode(
        {"email": "ada@mail.example", "exp": 2**31, "jti": "nonce-0002"}, None, algorithm="none"
    )
    with pytest.raises(identity.IdentityRefused, match="not valid"):
        identity.identity_verify(unsigned, now=NOW)


def test_without_a_secret_every_token_is_refused(signed, settings):
    token = signed()
    settings.CARECRM = {**settings.CARECRM, "CHAT_IDENTITY_SECRET": ""}
    with pytest.raises(identity.IdentityRefused, match="not set up"):
        identity.identity_verify(token, now=NOW)


# --- Invitations -------------------------------------------------------------------------------------


def test_invitation_rules_checkout_cart_high_value_and_returning_customer(agent):
    idle = ChatInvitationRule.objects.create(
        name="Stuck at checkout",
        text="Need a hand?",
        page_contains="/checkout",
        cart_idle_minutes=10,
        position=1,
    )
    high = ChatInvitationRule.objects.create(
        name="Big cart", text="Questions?", cart_min_value=Decimal("500"), position=2
    )
    returning = ChatInvitationRule.objects.create(
        name="Returns", text="Can we help?", page_contains="/returns", min_orders=1, position=3
    )
    shopper = CustomerFactory(email="sam@mail.example")
    Cart.objects.create(
        external_id="cart-1",
        customer=shopper,
        currency="EUR",
        value=Decimal("80"),
        updated_at=NOW - timedelta(minutes=12),
        received_at=NOW,
    )

    def invite(visitor, customer=None, url="https://shop.example/", cart=None):
        return invitations.invitation_for(
            visitor=visitor, customer=customer, page_url=url, page_cart=cart, now=NOW
        )

    assert invite("v1", shopper, "https://shop.example/cart") is None
    assert invite("v1", shopper, "https://shop.example/checkout").rule == idle
    # Once a day per rule and visitor.
    assert invite("v1", shopper, "https://shop.example/checkout") is None
    anonymous_cart = {"value": "650.00", "updated_at": (NOW - timedelta(minutes=1)).isoformat()}
    assert invite("v2", cart=anonymous_cart).rule == high
    assert invite("v3", cart={"value": "NaN", "updated_at": "yesterday"}) is None
    assert invite("v4", shopper, "https://shop.example/returns") is None
    shopper.orders_count = 2
    assert invite("v4", shopper, "https://shop.example/returns").rule == returning
    assert Event.objects.filter(kind="chat_invited", customer=shopper).count() == 2

    services.presence_set(agent=agent, status="away", now=NOW)
    assert invite("v5", cart=anonymous_cart) is None  # nobody to answer: no invitation


def test_an_invitation_is_answered_once_and_the_chat_it_starts_links_to_it(agent):
    rule = ChatInvitationRule.objects.create(name="Anywhere", text="Hi!")
    invitation = invitations.invitation_for(
        visitor="v1", customer=None, page_url="https://shop.example/", now=NOW
    )

    invitations.invitation_answer(invitation_id=invitation.pk, visitor="v1", answer="accepted", now=NOW)
    invitations.invitation_answer(invitation_id=invitation.pk, visitor="v1", answer="declined", now=NOW)
    with pytest.raises(ValidationError):
        invitations.invitation_answer(
            invitation_id=invitation.pk, visitor="someone-else", answer="declined", now=NOW
        )
    chat = start(invitation_id=invitation.pk, visitor="v1").chat

    assert ChatInvitation.objects.get().answer == "accepted"
    assert chat.invitation == invitation and rule.invitations.count() == 1


# --- What the sockets and pages read does not grow with the data -------------------------------------


def test_the_queue_and_a_chat_with_its_transcript_take_a_fixed_number_of_queries(
    agent, django_assert_num_queries
):
    from tickets.chat import selectors

    chats = [start(email=f"q{n}@mail.example", n=n).chat for n in range(12)]
    for n in range(30):
        services.chat_message_post(chat=chats[0], text=f"Line {n}", client_id=f"line-{n:05d}", now=NOW)

    # The waiting chats with their tickets and customers.
    with django_assert_num_queries(1):
        assert len(selectors.queue(now=NOW)) == 12
    # The chat's messages with their authors (the chat was read with its ticket and customer).
    chat = Chat.objects.select_related("ticket__customer").get(pk=chats[0].pk)
    with django_assert_num_queries(1):
        assert len(selectors.chat_for_agent(chat)["messages"]) == 31


def test_the_workspace_and_the_customer_beside_a_chat_take_a_fixed_number_of_queries(
    client, agent, django_assert_max_num_queries
):
    from tests.orders.track_factories import order_place, shipment_send

    client.force_login(agent)
    chat = start().chat
    for n in range(4):
        shipment_send(order_place(number=f"CH-{n}", email="ana@mail.example"))
    response = client.get("/console/chats/")
    assert response.status_code == 200 and b"chat/widget.js" in response.content
    # Session, user, permissions, macros.
    with django_assert_max_num_queries(6):
        client.get("/console/chats/")
    # As the ticket page's sidebar: the ticket, orders with shipments, other tickets, value and loyalty
    # figures, suggestions, and the access log entry.
    with django_assert_max_num_queries(25) as captured:
        response = client.get(f"/console/chats/{chat.ticket_id}/customer/")
    assert response.status_code == 200 and b"CH-3" in response.content
    few = len(captured.captured_queries)
    for n in range(4, 12):
        shipment_send(order_place(number=f"CH-{n}", email="ana@mail.example"))
    with django_assert_max_num_queries(few):
        client.get(f"/console/chats/{chat.ticket_id}/customer/")


def test_the_customer_pages_carry_the_widget_with_the_socket_address(client, settings):
    settings.CARECRM = {
        **settings.CARECRM,
        "CHAT_ON_CUSTOMER_PAGES": True,
        "CHAT_SOCKET_URL": "wss://chat.shop.example/ws/chat/",
    }
    page = client.get("/contact/").content.decode()
    assert '/static/chat/widget.js" async data-socket="wss://chat.shop.example/ws/chat/"' in page

    settings.CARECRM = {**settings.CARECRM, "CHAT_ON_CUSTOMER_PAGES": False}
    assert "chat/widget.js" not in client.get("/contact/").content.decode()


def test_a_start_sent_again_with_its_key_is_the_same_chat(agent):
    key = "k-" + "0123456789abcdef" * 3
    first = start(key=key)
    again = start(key=key)
    other = start(key="k-" + "fedcba9876543210" * 3)

    assert again.chat == first.chat and again.message == first.message
    assert other.chat != first.chat and Chat.objects.count() == 2
    with pytest.raises(ValidationError, match="chat key"):
        start(key="short")


def test_a_chat_whose_ticket_was_closed_in_the_inbox_still_ends(agent):
    from tickets.services import ticket_status_set

    chat = start().chat
    services.chat_accept(chat_id=chat.pk, agent=agent, now=NOW)
    ticket_status_set(ticket=chat.ticket, status="closed", now=NOW)

    assert services.chat_end(chat_id=chat.pk, by="alex", agent=agent, now=NOW).status == Chat.Status.ENDED
    assert not services.chat_read(chat=chat, upto=10**20, by_agent=True)
