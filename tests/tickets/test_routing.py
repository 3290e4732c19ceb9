"""Routing a new ticket: category from its words, payment problems urgent, the shop's rules, a team by
category and an available agent, round robin or least loaded."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from customers.models import Customer
from orders import services as order_services
from orders.models import OrderAlert
from tests.factories import UserFactory
from tests.orders.track_factories import order_place
from tickets.models import Rule, Team, TeamMember, Ticket
from tickets.routing import category_guess, is_payment_problem
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def open_ticket(
    subject: str, body: str = "Please help.", email: str = "ana@mail.example", **fields
) -> Ticket:
    return ticket_open(channel="email", email=email, subject=subject, body=body, now=NOW, **fields).ticket


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Where is my parcel? Tracking shows nothing", "shipping"),
        ("I want to return the towel and exchange it", "return"),
        ("The kettle arrived damaged and broken", "item"),
        ("I forgot my password and cannot sign in", "account"),
        ("My card payment failed", "payment"),
        ("Hello there", "other"),
    ],
)
def test_the_category_comes_from_what_the_customer_wrote(text, category):
    assert category_guess(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "You charged me twice for order 100501",
        "I see a double charge on my card",
        "I still haven't received my refund",
        "Refund not received after two weeks",
        "The discount was not applied at checkout",
        "My coupon didn't work",
    ],
)
def test_payment_problems_are_urgent_at_the_head_of_the_queue(text):
    assert is_payment_problem(text)

    ticket = open_ticket(text)

    assert (ticket.priority, ticket.category) == ("urgent", "payment")
    assert "payment-problem" in ticket.tags
    # An urgent ticket is due within the hour, not the day.
    assert ticket.first_response_due_at == datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def test_a_question_about_refund_timing_is_not_urgent():
    assert not is_payment_problem("How long does a refund take?")
    assert open_ticket("How long does a refund take?").priority == "normal"


def test_an_order_with_an_open_payment_alert_makes_its_ticket_urgent():
    order = order_place(number="100777", email="ana@mail.example")
    order_services.alert_raise(
        order=order, kind=OrderAlert.Kind.DOUBLE_CHARGE, now=NOW, detail="Two captures"
    )

    ticket = open_ticket("Question about my order", order_number="100777")

    assert ticket.order == order
    assert ticket.priority == "urgent"


def test_the_shops_rules_set_priority_team_and_tags():
    vip_team = Team.objects.create(name="VIP desk")
    Rule.objects.create(
        name="Big spenders",
        customer_min_spent=Decimal("500.00"),
        set_priority="high",
        set_team=vip_team,
        add_tags=["vip"],
    )
    Rule.objects.create(name="Phone", channels=["phone"], add_tags=["phone"])
    Rule.objects.create(name="Switched off", is_active=False, add_tags=["never"])
    big = open_ticket("Where is my parcel?")
    Customer.objects.filter(pk=big.customer_id).update(total_spent=Decimal("900.00"))

    vip = open_ticket("Where is my parcel?")
    other = open_ticket("Where is my parcel?", email="bo@mail.example")

    assert (vip.priority, vip.team, vip.tags) == ("high", vip_team, ["vip"])
    assert (other.priority, other.team, other.tags) == ("normal", None, [])


def test_a_rule_never_lowers_an_urgent_ticket():
    Rule.objects.create(name="Keyword", keywords=["twice"], set_priority="low")

    assert open_ticket("You charged me twice").priority == "urgent"


def test_a_team_takes_its_categories_and_round_robin_skips_agents_who_are_away():
    shipping = Team.objects.create(name="Shipping", categories=["shipping"])
    alex, bea, cem = (UserFactory(username=name, role="agent") for name in ("alex", "bea", "cem"))
    for agent in (alex, bea, cem):
        TeamMember.objects.create(team=shipping, user=agent)
    TeamMember.objects.filter(user=bea).update(is_available=False)

    assignees = [open_ticket("Where is my parcel?").assignee for _ in range(4)]

    assert assignees == [alex, cem, alex, cem]
    assert open_ticket("My password").team is None


def test_least_loaded_gives_the_ticket_to_whoever_has_the_fewest_open():
    returns = Team.objects.create(
        name="Returns", categories=["return"], assignment=Team.Assignment.LEAST_LOADED
    )
    alex, bea = UserFactory(username="alex", role="agent"), UserFactory(username="bea", role="agent")
    for agent in (alex, bea):
        TeamMember.objects.create(team=returns, user=agent)

    first = open_ticket("Return my towel")
    second = open_ticket("Return my towel")
    Ticket.objects.filter(pk=first.pk).update(status=Ticket.Status.RESOLVED)
    third = open_ticket("Return my towel")

    assert (first.assignee, second.assignee) == (alex, bea)
    assert third.assignee == alex  # alex's one ticket is resolved: none open for him, one for bea


def test_nobody_available_leaves_the_ticket_unassigned_in_its_team():
    shipping = Team.objects.create(name="Shipping", categories=["shipping"])
    TeamMember.objects.create(team=shipping, user=UserFactory(role="agent"), is_available=False)

    ticket = open_ticket("Where is my parcel?")

    assert (ticket.team, ticket.assignee) == (shipping, None)
