"""The chat dashboard: chats answered and missed, the wait for an agent, each agent's chats, the orders
that followed a chat and what the proactive invitations came to, all matching the chats behind them, in a
fixed number of queries however many chats, agents, orders and rules there are."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from console.dashboards import Period, chat_charts, duration_text
from orders.models import Order
from tests.factories import UserFactory
from tickets.chat import services
from tickets.models import Chat, ChatInvitation, ChatInvitationRule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]

# A Wednesday; the period of two weeks starts on Monday 2026-02-23.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
THIS_MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LAST_MONDAY = THIS_MONDAY - timedelta(days=7)
WEEKS = ["2026-02-23", "2026-03-02"]


def chart(charts, name):
    return next(c for c in charts if c.name == name)


def column(chart, name):
    return dict(chart.series + chart.extra_columns)[name]


def chat(
    email: str,
    *,
    at: datetime,
    agent=None,
    wait: int = 0,
    reply_after: int | None = None,
    end_after: int | None = None,
    rating: int | None = None,
    missed: bool = False,
    **start,
) -> Chat:
    """A chat started at `at` by `email`; accepted by `agent` after `wait` seconds, who answers
    `reply_after` seconds later and ends it `end_after` seconds after accepting; or missed."""
    number = Chat.objects.count() + 1
    started = services.chat_start(
        text="Is this in stock?", client_id=f"client-{number:04d}", email=email, now=at, **start
    ).chat
    if missed:
        services.chat_end(chat_id=started.pk, by="customer", now=at + timedelta(seconds=40))
    if agent is not None:
        accepted_at = at + timedelta(seconds=wait)
        services.presence_set(agent=agent, status="available", now=accepted_at)
        services.chat_accept(chat_id=started.pk, agent=agent, now=accepted_at)
        if reply_after is not None:
            services.chat_message_post(
                chat=started,
                text="Yes, it is.",
                client_id=f"agent-{number:05d}",
                agent=agent,
                now=accepted_at + timedelta(seconds=reply_after),
            )
        if end_after is not None:
            services.chat_end(
                chat_id=started.pk, by="agent", agent=agent, now=accepted_at + timedelta(seconds=end_after)
            )
            if rating is not None:
                started.refresh_from_db()
                services.chat_rate(
                    chat=started, rating=rating, now=accepted_at + timedelta(seconds=end_after)
                )
    started.refresh_from_db()
    return started


def order(chat: Chat, *, at: datetime, status: str = "confirmed") -> Order:
    return Order.objects.create(
        customer=chat.ticket.customer,
        number=f"O-{Order.objects.count() + 1}",
        placed_at=at,
        currency="EUR",
        total=Decimal("49.90"),
        status=status,
    )


def invitation(rule, *, at: datetime, answer: str = "", visitor: str = "") -> ChatInvitation:
    return ChatInvitation.objects.create(
        rule=rule,
        visitor=visitor or f"visitor-{ChatInvitation.objects.count() + 1}",
        sent_at=at,
        answer=answer,
        answered_at=at + timedelta(seconds=5) if answer else None,
    )


@pytest.fixture
def chats():
    """Six chats in the two weeks and one before them; three orders inside the five days after a chat
    and three that do not count; four invitation rules."""
    alex = UserFactory(username="alex", role="agent", first_name="Alex")
    bea = UserFactory(username="bea", role="agent", first_name="Bea")
    checkout = ChatInvitationRule.objects.create(name="Stuck at checkout", text="Need a hand?", position=1)
    big_cart = ChatInvitationRule.objects.create(name="Big cart", text="Questions?", position=2)
    ChatInvitationRule.objects.create(name="Never used", text="Hi", position=3, is_active=False)
    spring = ChatInvitationRule.objects.create(name="Spring sale", text="Hi", position=4, is_active=False)
    invited = invitation(checkout, at=THIS_MONDAY - timedelta(minutes=1), answer="accepted", visitor="v-ana")

    # This week: answered by Alex and rated 5, then an order two days later.
    ana = chat(
        "ana@mail.example",
        at=THIS_MONDAY,
        agent=alex,
        wait=30,
        reply_after=20,
        end_after=600,
        rating=5,
        invitation_id=invited.pk,
        visitor="v-ana",
    )
    order(ana, at=THIS_MONDAY + timedelta(days=2))
    # This week: answered by Bea, still going.
    chat("cy@mail.example", at=THIS_MONDAY + timedelta(hours=2), agent=bea, wait=150, reply_after=60)
    # This week: the customer left before anyone answered, and ordered the next day anyway.
    dee = chat("dee@mail.example", at=THIS_MONDAY + timedelta(hours=3), missed=True)
    order(dee, at=THIS_MONDAY + timedelta(days=1))
    # This week: still waiting; the order placed an hour later was cancelled.
    fay = chat("fay@mail.example", at=NOW - timedelta(minutes=1))
    order(fay, at=NOW + timedelta(hours=1), status="cancelled")
    # Last week: answered by Alex and rated 3; one order the day before, one just past the five days.
    ben = chat(
        "ben@mail.example", at=LAST_MONDAY, agent=alex, wait=90, reply_after=40, end_after=1200, rating=3
    )
    order(ben, at=LAST_MONDAY - timedelta(days=1))
    order(ben, at=LAST_MONDAY + timedelta(days=5, minutes=1))
    # Last week: missed; the order came exactly five days after.
    eve = chat("eve@mail.example", at=LAST_MONDAY + timedelta(hours=1), missed=True)
    order(eve, at=LAST_MONDAY + timedelta(hours=1, days=5))
    # Before the period: counts nowhere.
    chat("old@mail.example", at=LAST_MONDAY - timedelta(days=90), agent=alex, wait=900, end_after=60)

    invitation(checkout, at=THIS_MONDAY + timedelta(hours=1), answer="accepted")
    invitation(checkout, at=THIS_MONDAY + timedelta(hours=2), answer="declined")
    invitation(big_cart, at=LAST_MONDAY, answer="declined")
    invitation(big_cart, at=LAST_MONDAY + timedelta(hours=1))  # let pass
    invitation(big_cart, at=LAST_MONDAY - timedelta(days=90), answer="accepted")  # before the period
    invitation(spring, at=LAST_MONDAY + timedelta(hours=3))
    return {"alex": alex, "bea": bea}


def test_chats_answered_missed_and_waiting_per_week(chats):
    volume = chart(chat_charts(Period(weeks=2, now=NOW)), "chats")

    assert volume.labels == WEEKS
    assert column(volume, "Started") == [2, 4]
    assert column(volume, "Answered") == [1, 2]
    assert column(volume, "Missed") == [1, 1]
    assert column(volume, "Waiting now") == [0, 1]
    # Of the chats answered or missed: the one still waiting is in neither.
    assert column(volume, "Missed share (%)") == [50.0, 33.3]
    assert volume.figures == [
        ("Started", "6"),
        ("Answered by an agent", "3"),
        ("Missed", "2 of 5 (40.0 %)"),
    ]


def test_the_wait_for_an_agent_average_and_p90(chats):
    wait = chart(chat_charts(Period(weeks=2, now=NOW)), "chat_wait")

    assert column(wait, "Average") == [90, 90]  # 90 s; (30 + 150) / 2
    assert column(wait, "p90") == [90, 150]
    assert column(wait, "Answered chats") == [1, 2]
    # Waits of 30, 90 and 150 seconds: the nearest rank of 90 % of three is the third.
    assert wait.figures == [("Average wait", "1 min 30 s"), ("90 % waited at most", "2 min 30 s")]


def test_chats_per_agent_with_first_reply_handling_time_and_rating(chats):
    agents = chart(chat_charts(Period(weeks=2, now=NOW)), "chat_agents")

    assert agents.headers == [
        "Agent",
        "Chats accepted",
        "First reply after accepting, average (s)",
        "Handling time, average (min)",
        "CSAT average",
        "Ratings",
    ]
    # Alex: replies after 20 and 40 s, chats of 10 and 20 minutes rated 5 and 3 (the chat before the
    # period is not his to count); Bea's chat is still going and unrated.
    assert agents.rows == [["alex", 2, 30, 15.0, 4.0, 2], ["bea", 1, 60, None, None, 0]]


def test_chats_followed_by_an_order_within_five_days(chats):
    conversion = chart(chat_charts(Period(weeks=2, now=NOW)), "chat_conversion")

    # Last week: Eve's order exactly five days on counts, Ben's a minute later (and the day before) not.
    # This week: Ana's and Dee's orders count, a missed chat too; Fay's cancelled order does not.
    assert column(conversion, "Followed by an order") == [1, 2]
    assert column(conversion, "Chats") == [2, 4]
    assert column(conversion, "Chats followed by an order") == [50.0, 50.0]
    assert conversion.figures == [("Followed by an order", "3 of 6 (50.0 %)")]


def test_invitations_sent_accepted_and_declined_per_rule(chats):
    invitations = chart(chat_charts(Period(weeks=2, now=NOW)), "chat_invitations")

    # The inactive rule that sent nothing in the period is left out; the one that did stays.
    assert invitations.rows == [
        # rule, sent, accepted, declined, acceptance rate, chats started
        ["Stuck at checkout", 3, 2, 1, 66.7, 1],
        ["Big cart", 2, 0, 1, 0.0, 0],
        ["Spring sale", 1, 0, 0, 0.0, 0],
    ]
    assert invitations.figures == [
        ("Invitations sent", "6"),
        ("Accepted", "2 of 6 (33.3 %)"),
        ("Declined", "2"),
    ]


def test_an_empty_period_shows_no_figures_rather_than_failing():
    charts = chat_charts(Period(weeks=4, now=NOW))

    assert column(chart(charts, "chats"), "Missed share (%)") == [None] * 4
    assert chart(charts, "chat_wait").figures == [("Average wait", "—"), ("90 % waited at most", "—")]
    assert chart(charts, "chat_agents").rows == []
    assert chart(charts, "chat_conversion").figures == [("Followed by an order", "0 of 0")]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (44.6, "45 s"),
        (60, "1 min"),
        (125, "2 min 5 s"),
        (3600, "1 h"),
        (4830, "1 h 21 min"),
    ],
)
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(seconds) == text


def test_the_page_shows_the_figures_and_each_table_as_csv(client, chats, monkeypatch):
    monkeypatch.setattr("carecrm.clock.now", lambda: NOW)
    client.force_login(UserFactory(role="manager"))

    page = client.get("/console/dashboards/chat/", {"weeks": "4"})
    download = client.get("/console/dashboards/chat/", {"weeks": "4", "csv": "chat_invitations"})

    html = page.content.decode()
    assert page.status_code == 200
    assert "<dt>Average wait</dt><dd>1 min 30 s</dd>" in html
    assert "<dt>Missed</dt><dd>2 of 5 (40.0 %)</dd>" in html
    assert 'href="/console/chats/invitations/"' in html
    assert 'href="/console/dashboards/chat/?weeks=4"' in html  # its tab
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == ["Rule", "Sent", "Accepted", "Declined", "Acceptance rate (%)", "Chats started"]
    assert rows[1] == ["Stuck at checkout", "3", "2", "1", "66.7", "1"]


def test_agents_and_marketers_do_not_see_the_chat_dashboard(client):
    for role in ("agent", "marketer"):
        client.force_login(UserFactory(role=role))
        assert client.get("/console/dashboards/chat/").status_code == 403


def test_the_chat_dashboard_reads_as_many_queries_for_many_chats_as_for_few(client, chats, monkeypatch):
    monkeypatch.setattr("carecrm.clock.now", lambda: NOW)
    client.force_login(UserFactory(role="manager"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get("/console/dashboards/chat/").status_code == 200
        return len(context.captured_queries)

    # session, user, the user's and the groups' permissions; chats counted per week (the orders after
    # each an EXISTS); the answered chats with agent, first reply and rating; rules with invitation counts
    assert queries() == 7
    for n in range(12):
        agent = UserFactory(username=f"agent-{n}", role="agent")
        rule = ChatInvitationRule.objects.create(name=f"Rule {n}", text="Hi", position=10 + n)
        at = THIS_MONDAY + timedelta(hours=n)
        answered = chat(
            f"c{n}@mail.example", at=at, agent=agent, wait=n, reply_after=5, end_after=60, rating=4
        )
        order(answered, at=at + timedelta(days=1))
        invitation(rule, at=at, answer="accepted" if n % 2 else "declined")
    assert queries() == 7
    assert chart(chat_charts(Period(weeks=8, now=NOW)), "chats").figures[0] == ("Started", "18")
