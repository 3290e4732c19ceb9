"""Refunds never give back more than came in, a store's refund pays what a return made owed, and an
overdue refund is flagged even when the order has other alerts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from carecrm.errors import Conflict
from customers.models import Customer
from orders import services
from orders.models import OrderAlert, Refund, Return

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 1, 10, tzinfo=UTC)


def _paid_order(number: str, *, total="100.00", items=(("MUG", 2, "60.00"),)):
    order, _ = services.order_upsert(
        data={
            "external_id": f"o-{number}",
            "number": number,
            "customer": {"email": f"c{number}@mail.example"},
            "placed_at": T0,
            "currency": "EUR",
            "total": total,
            "items": [{"sku": sku, "name": sku, "quantity": q, "unit_price": p} for sku, q, p in items],
        },
        source="api",
    )
    services.payment_upsert(
        order=order,
        data={
            "external_id": f"p-{number}",
            "amount": total,
            "currency": "EUR",
            "status": "captured",
            "occurred_at": T0,
        },
    )
    order.refresh_from_db()
    return order


def _refund(order, external_id, amount, completed=True):
    return services.refund_upsert(
        order=order,
        data={
            "external_id": external_id,
            "amount": amount,
            "reason": "",
            "requested_at": T0,
            "completed_at": T0 + timedelta(days=1) if completed else None,
        },
    )


def test_a_refund_larger_than_what_was_paid_is_refused_and_spend_never_goes_negative():
    order = _paid_order("9001")
    with pytest.raises(ValidationError):
        _refund(order, "r-too-much", "250.00")
    _refund(order, "r-all", "100.00")
    with pytest.raises(ValidationError):
        _refund(order, "r-again", "0.01")
    assert Customer.objects.get(pk=order.customer_id).total_spent == 0


def test_a_refund_id_of_another_order_is_a_conflict():
    first, second = _paid_order("9002"), _paid_order("9003")
    _refund(first, "r-shared", "10.00")
    with pytest.raises(Conflict):
        _refund(second, "r-shared", "10.00")


def test_the_store_refund_for_a_return_settles_what_the_return_made_owed():
    # given two mugs at 60 on an order discounted to 100, returned and resolved for a refund
    order = _paid_order("9004")
    services.order_transition(order=order, to="delivered", occurred_at=T0 + timedelta(days=2), source="t")
    ret = services.return_request(
        order=order,
        kind="return",
        reason="Chipped",
        resolution="refund",
        items=[{"order_item": order.items.get().pk, "quantity": 2}],
        source="track",
        now=T0 + timedelta(days=3),
    )
    for status in ("approved", "received", "resolved"):
        services.return_transition(ret=ret, to=status, actor="agent", now=T0 + timedelta(days=4))
    # then no more than was paid is owed
    [owed] = Refund.objects.filter(order=order)
    assert (owed.amount, owed.completed_at) == (100, None)
    # when the store reports its refund under its own id
    refund, created = _refund(order, "shop-refund-1", "100.00")
    # then that is the owed refund, paid: nothing stays owed, no overdue alert follows
    assert created and refund.pk == owed.pk
    assert Refund.objects.filter(order=order, completed_at__isnull=True).count() == 0
    assert "0 payment alerts" in services.payment_problems_detect(now=T0 + timedelta(days=30))
    assert Return.objects.get(pk=ret.pk).status == "resolved"


def test_an_overdue_refund_is_flagged_although_the_order_has_other_alerts():
    order = _paid_order("9005")
    services.alert_raise(order=order, kind=OrderAlert.Kind.PROBLEM_REPORTED, now=T0, detail="Late")
    _refund(order, "r-owed", "20.00", completed=False)
    assert "1 payment alerts raised" in services.payment_problems_detect(now=T0 + timedelta(days=10))
    assert "0 payment alerts raised" in services.payment_problems_detect(now=T0 + timedelta(days=11))
