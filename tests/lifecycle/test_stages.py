from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from lifecycle.models import Event
from lifecycle.services import customer_stage_refresh, stage_for, stages_age
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
Stage = Customer.Stage


def buyer(*, orders: int, spent: str, days_since_last_order: int, **kwargs) -> Customer:
    return CustomerFactory(
        orders_count=orders,
        total_spent=Decimal(spent),
        last_order_at=NOW - timedelta(days=days_since_last_order),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("orders", "spent", "days", "stage"),
    [
        (1, "30.00", 10, Stage.NEW),
        (2, "60.00", 10, Stage.ACTIVE),
        (3, "499.99", 10, Stage.ACTIVE),
        (3, "500.00", 10, Stage.LOYAL),
        (5, "900.00", 89, Stage.LOYAL),
        (5, "900.00", 90, Stage.DORMANT),
        (1, "30.00", 364, Stage.DORMANT),
        (1, "30.00", 365, Stage.LOST),
    ],
)
def test_stage_follows_the_contract(orders, spent, days, stage):
    assert stage_for(buyer(orders=orders, spent=spent, days_since_last_order=days), now=NOW) == stage


def test_never_bought_is_a_prospect():
    assert stage_for(CustomerFactory(), now=NOW) == Stage.PROSPECT


def test_tick_moves_idle_buyers_to_dormant_then_lost_stamped_with_its_now():
    # given buyers whose last order is 100 and 400 days old, and one who bought last week
    idle = buyer(orders=2, spent="80.00", days_since_last_order=100, lifecycle_stage=Stage.ACTIVE)
    gone = buyer(orders=1, spent="20.00", days_since_last_order=400, lifecycle_stage=Stage.DORMANT)
    fresh = buyer(orders=2, spent="80.00", days_since_last_order=7, lifecycle_stage=Stage.ACTIVE)
    # when a tick runs as of NOW
    call_command("tick", now=NOW.isoformat())
    # then the idle ones moved, with the change stamped at NOW, and the fresh one did not
    stages = dict(Customer.objects.values_list("pk", "lifecycle_stage"))
    assert stages == {idle.pk: Stage.DORMANT, gone.pk: Stage.LOST, fresh.pk: Stage.ACTIVE}
    change = Event.objects.get(customer=idle, kind="stage_changed")
    assert change.occurred_at == NOW
    assert change.data == {"from": "active", "to": "dormant"}
    # and a second tick changes nothing more
    call_command("tick", now=NOW.isoformat())
    assert Event.objects.filter(kind="stage_changed").count() == 2


def test_a_dormant_customer_who_buys_again_becomes_active_and_it_is_an_event():
    customer = buyer(orders=3, spent="120.00", days_since_last_order=0, lifecycle_stage=Stage.DORMANT)
    assert customer_stage_refresh(customer=customer, now=NOW) is True
    customer.refresh_from_db()
    assert customer.lifecycle_stage == Stage.ACTIVE
    assert Event.objects.filter(customer=customer, kind="stage_changed", data__to="active").exists()
    assert customer_stage_refresh(customer=customer, now=NOW) is False


def test_aging_is_set_based_the_same_queries_for_few_or_many_customers():
    def idle(count: int, first: int) -> None:
        for n in range(first, first + count):
            buyer(
                orders=2,
                spent="80.00",
                days_since_last_order=120,
                email=f"idle{n}@mail.example",
                lifecycle_stage=Stage.ACTIVE,
            )
            buyer(
                orders=3,
                spent="900.00",
                days_since_last_order=400,
                email=f"gone{n}@mail.example",
                lifecycle_stage=Stage.LOYAL,
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            stages_age(now=NOW)
        return len(ctx.captured_queries)

    idle(2, 0)
    few = queries()
    idle(40, 100)
    assert queries() == few
    stages = dict(Customer.objects.values_list("email", "lifecycle_stage"))
    assert stages["idle120@mail.example"] == "dormant" and stages["gone120@mail.example"] == "lost"
    assert Event.objects.filter(kind="stage_changed", data__to="lost").count() == 42
