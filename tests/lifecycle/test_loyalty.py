"""Loyalty points through the ledger: earned per order, taken back on cancellation, lost on refunds;
once each however often the events are handled; tiers on the balance; shown beside tickets."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from lifecycle.loyalty import loyalty_balance_check, tier_for, tier_next
from lifecycle.models import Event, LoyaltyEntry
from lifecycle.services import event_sweep
from orders import services as order_services
from tests.orders.track_factories import order_place

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def handled():
    event_sweep(now=NOW + timedelta(minutes=5))


def test_an_order_earns_points_a_refund_loses_some_and_a_cancellation_takes_them_back():
    order = order_place(
        number="100701", email="ana@mail.example", total="64.80", placed_at=NOW - timedelta(days=1)
    )
    handled()
    customer = order.customer
    customer.refresh_from_db()
    assert customer.loyalty_points == 64
    assert Event.objects.filter(customer=customer, kind="points_earned").count() == 1

    order_services.payment_upsert(
        order=order,
        data={
            "external_id": "pay-1",
            "amount": Decimal("64.80"),
            "currency": "EUR",
            "method": "card",
            "status": "captured",
            "occurred_at": NOW - timedelta(days=1),
        },
    )
    order_services.refund_upsert(
        order=order,
        data={
            "external_id": "rf-1",
            "amount": Decimal("20.00"),
            "reason": "damaged",
            "requested_at": NOW,
            "completed_at": NOW,
        },
    )
    handled()
    customer.refresh_from_db()
    assert customer.loyalty_points == 44

    handled()  # handling the same events again changes nothing
    customer.refresh_from_db()
    assert customer.loyalty_points == 44
    assert loyalty_balance_check(customer)
    assert list(
        LoyaltyEntry.objects.filter(customer=customer).order_by("pk").values_list("points", flat=True)
    ) == [
        64,
        -20,
    ]


def test_a_cancelled_order_takes_its_points_back():
    order = order_place(
        number="100702", email="bo@mail.example", total="120.00", placed_at=NOW - timedelta(days=1)
    )
    handled()
    order_services.order_transition(order=order, to="cancelled", occurred_at=NOW, source="test")
    handled()

    order.customer.refresh_from_db()
    assert order.customer.loyalty_points == 0
    assert Event.objects.filter(customer=order.customer, kind="points_lost").count() == 1


def test_tiers_follow_the_balance():
    assert tier_for(0).name == "Bronze"
    assert tier_for(499).name == "Bronze"
    assert tier_for(500).name == "Silver"
    assert tier_for(5000).name == "Gold"
    assert tier_next(420) == (tier_for(500), 80)
    assert tier_next(1500) is None
