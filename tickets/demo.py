"""Demo support desk: two teams with the demo agent in both, a few macros, and a fortnight of requests
from demo customers (email, web form, phone, chat), opened, answered, resolved and rated through
tickets.services as the live desk would. The emails those steps would send are marked as not sent:
loading demo data writes to no one."""

import random
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from carecrm.demo import Options, Progress
from customers.models import Customer
from tickets import csat, services
from tickets.chat import services as chat
from tickets.models import ChatInvitation, ChatInvitationRule, ChatPresence, Macro, Message, Team, TeamMember

MACROS = [
    (
        "Parcel on its way",
        "Hi {{ customer_name }},\n\nyour order {{ order_number }} is on its way. You can follow it "
        "here: {{ tracking_link }}\n\nBest wishes,\n{{ agent_name }}",
        "pending",
    ),
    (
        "Refund issued",
        "Hi {{ customer_name }},\n\nwe have issued your refund for order {{ order_number }}. Your "
        "bank shows it within 2-5 working days.\n\nBest wishes,\n{{ agent_name }}",
        "resolved",
    ),
    (
        "Return label",
        "Hi {{ customer_name }},\n\nyour prepaid return label is attached. Drop the parcel at any "
        "point of the carrier within 14 days.\n\nBest wishes,\n{{ agent_name }}",
        "pending",
    ),
    (
        "Anything else?",
        "Hi {{ customer_name }},\n\nis there anything else we can do for you? If not, we will close "
        "this request ({{ ticket_reference }}).\n\nBest wishes,\n{{ agent_name }}",
        "pending",
    ),
]
# (channel, subject, what the customer wrote, what the agent answered or "", status it ends in, rating)
REQUESTS = [
    (
        "email",
        "Where is my parcel?",
        "My order was due yesterday and the tracking has not moved for three days.",
        "Parcel on its way",
        "pending",
        None,
    ),
    (
        "web",
        "You charged me twice",
        "I see two charges for the same order on my card statement.",
        "Refund issued",
        "resolved",
        5,
    ),
    (
        "email",
        "Wrong size",
        "The towel I received is the small one, I ordered the large. Can I exchange it?",
        "Return label",
        "pending",
        None,
    ),
    (
        "phone",
        "Called about delivery slot",
        "Asked whether the evening slot is available for Saturday.",
        "",
        "resolved",
        4,
    ),
    (
        "chat",
        "Discount code not applied",
        "Customer: my WELCOME10 code did not apply at checkout.\nAgent: checking.",
        "Refund issued",
        "resolved",
        3,
    ),
    (
        "web",
        "Kettle arrived damaged",
        "The lid is dented and the handle is loose. Photo attached.",
        "Return label",
        "open",
        None,
    ),
    (
        "email",
        "Change my delivery address",
        "I moved last week; please send my order to my new address.",
        "",
        "open",
        None,
    ),
    (
        "web",
        "Refund not received",
        "I returned my order two weeks ago and still haven't received my refund.",
        "",
        "new",
        None,
    ),
    (
        "email",
        "Warranty question",
        "My headphones stopped charging after eight months. Is that covered?",
        "Anything else?",
        "resolved",
        2,
    ),
    (
        "web",
        "Gift wrap for my order",
        "Can you still add gift wrap to the order I placed this morning?",
        "",
        "new",
        None,
    ),
]


def tickets_present() -> bool:
    return Team.objects.exists()


def tickets_seed(*, options: Options, progress: Progress, now: datetime) -> str:
    if Team.objects.exists():
        return "support desk already set up"
    rng = random.Random(f"{options.seed}:tickets")  # noqa: S311 (demo data, not secrets)
    users = get_user_model().objects
    agent, manager = users.filter(username="agent").first(), users.filter(username="manager").first()
    with transaction.atomic():
        shipping = Team.objects.create(name="Shipping and returns", categories=["shipping", "return", "item"])
        payments = Team.objects.create(
            name="Payments", categories=["payment"], assignment=Team.Assignment.LEAST_LOADED
        )
        Team.objects.create(name="General", categories=["account", "other"])
        for team in (shipping, payments):
            for user in (agent, manager):
                if user is not None:
                    TeamMember.objects.create(team=team, user=user)
        macros = {
            name: Macro.objects.create(name=name, text=text, set_status=status, position=n)
            for n, (name, text, status) in enumerate(MACROS)
        }
    customers = list(
        Customer.objects.filter(external_id__startswith="demo-", merged_into__isnull=True)
        .exclude(email="")
        .order_by("external_id")[: len(REQUESTS) * 3]
    )
    if not customers:
        return f"{len(macros)} macros and 3 teams; no demo customers to write in"
    opened = 0
    with progress(total=len(REQUESTS) * 2, desc="tickets") as bar:
        for round_ in range(2):
            for channel, subject, body, macro_name, status, rating in REQUESTS:
                customer = rng.choice(customers)
                when = now - timedelta(
                    days=rng.randint(0, 13), hours=rng.randint(0, 8), minutes=rng.randint(0, 59)
                )
                order = customer.orders.order_by("-placed_at").first()
                ticket = services.ticket_open(
                    channel=channel,
                    email=customer.email,
                    subject=subject if round_ == 0 else f"{subject} (again)",
                    body=body,
                    order_number=order.number if order and rng.random() < 0.7 else "",
                    now=when,
                ).ticket
                answered_at = when + timedelta(hours=rng.randint(1, 20))
                if macro_name and agent is not None:
                    text = services.macro_render(text=macros[macro_name].text, ticket=ticket, agent=agent)
                    reply_status = status if status in ("pending", "open", "resolved") else "pending"
                    services.ticket_reply(
                        ticket=ticket, author=agent, text=text, status=reply_status, now=answered_at
                    )
                elif status == "resolved":
                    services.ticket_status_set(ticket=ticket, status="resolved", now=answered_at)
                elif status == "open":
                    services.ticket_status_set(ticket=ticket, status="open", now=answered_at)
                if rating and status == "resolved":
                    csat.csat_record(
                        ticket=ticket, rating=rating, comment="", now=answered_at + timedelta(hours=3)
                    )
                opened += 1
                bar.update()
    chats = _chats_seed(customers=customers, agent=agent, rng=rng, now=now) if agent is not None else 0
    # Demo history is not news: none of the emails it would send go out.
    Message.objects.filter(delivery=Message.Delivery.PENDING).update(
        delivery=Message.Delivery.SKIPPED, delivery_error="Demo data: not sent."
    )
    return f"{opened} tickets, {chats} chats, {len(macros)} macros, 3 teams"


# (what the customer asked, what the agent answered, rating; "" answer: nobody accepted in time)
CHATS = [
    ("Does the rain jacket come in navy?", "It does, in navy and sky blue, sizes S to XXL.", 5),
    ("Can I still change the address on my order?", "Yes, until it ships: I have changed it for you.", 5),
    ("Is the discount code stackable with the sale?", "Only one code per order, but sale prices stay.", 4),
    ("How long does express delivery take?", "Next working day when ordered before 2 pm.", 5),
    ("Do you ship to Norway?", "", None),
    ("My payment failed twice, what now?", "Your bank declined it; PayPal or a new card will work.", 3),
    ("Which size should I take, I am between M and L?", "Take L: the cut is slim.", 4),
    ("Can I return a sale item?", "", None),
]
INVITATION_RULES = [
    (
        "Stuck at checkout",
        "Need a hand with your order? We are here.",
        {"page_contains": "/checkout", "cart_idle_minutes": 5},
    ),
    ("Big cart", "Any questions before you order? Chat with us.", {"cart_min_value": 300}),
    (
        "Returning customer on returns",
        "Can we help with your return?",
        {"page_contains": "/returns", "min_orders": 1},
    ),
]


def _chats_seed(*, customers: list[Customer], agent, rng: random.Random, now: datetime) -> int:
    """A fortnight of live chats through tickets.chat.services, answered, rated or missed, and the
    invitation rules with some answers, for the chat workspace and dashboard."""
    rules = [
        ChatInvitationRule.objects.create(name=name, text=text, position=n, **conditions)
        for n, (name, text, conditions) in enumerate(INVITATION_RULES)
    ]
    for n, (question, answer, rating) in enumerate(CHATS * 2):
        customer = rng.choice(customers)
        when = now - timedelta(days=rng.randint(0, 13), hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
        invitation = None
        if n % 3 == 0:
            invitation = ChatInvitation.objects.create(
                rule=rules[n % len(rules)], customer=customer, visitor=f"demo-visitor-{n}",
                page_url="https://shop.example/checkout", sent_at=when, answer="accepted", answered_at=when,
            )  # fmt: skip
        started = chat.chat_start(
            text=question, client_id=f"demo-chat-{n:04d}-0", email=customer.email,
            invitation_id=invitation.pk if invitation else None, visitor=f"demo-visitor-{n}",
            page_url="https://shop.example/checkout" if invitation else "https://shop.example/", now=when,
        )  # fmt: skip
        if not answer:
            chat.chat_end(chat_id=started.chat.pk, by="customer", now=when + timedelta(minutes=2))
            continue
        accepted = when + timedelta(seconds=rng.randint(10, 150))
        chat.presence_set(agent=agent, status=ChatPresence.Status.AVAILABLE, now=accepted)
        chat.chat_accept(chat_id=started.chat.pk, agent=agent, now=accepted)
        chat.chat_message_post(
            chat=started.chat, text=answer, client_id=f"demo-chat-{n:04d}-1", agent=agent,
            now=accepted + timedelta(seconds=rng.randint(20, 90)),
        )  # fmt: skip
        ended = chat.chat_end(chat_id=started.chat.pk, by="customer", now=accepted + timedelta(minutes=4))
        if rating:
            chat.chat_rate(chat=ended, rating=rating, now=ended.ended_at)
    for n in range(12):
        ChatInvitation.objects.create(
            rule=rules[n % len(rules)], visitor=f"demo-visitor-declined-{n}", page_url="https://shop.example/",
            sent_at=now - timedelta(days=n), answer="declined" if n % 2 else "",
            answered_at=now - timedelta(days=n) if n % 2 else None,
        )  # fmt: skip
    # The demo agent is not online until they open the chat workspace.
    ChatPresence.objects.filter(user=agent).update(status=ChatPresence.Status.AWAY)
    return len(CHATS) * 2
