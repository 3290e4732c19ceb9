"""Money after the sale: the prepaid and cash-on-delivery paths, refunds and the customer's spend, and the
payment problems that must reach a person at once (double charge, cancelled but not refunded, refund
overdue) — each opening exactly one urgent alert however often it is seen."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from lifecycle.models import Event
from orders import services
from orders.api import (
    OrderWriteSerializer,
    PaymentWriteSerializer,
    ShipmentWriteSerializer,
    TrackingEventWriteSerializer,
)
from orders.models import Order, OrderAlert, Payment, Refund
from tests.concurrency import burst
from tests.orders.factories import (
    PLACED_AT,
    OrderFactory,
    OrderPayloadFactory,
    PaymentPayloadFactory,
    ShipmentPayloadFactory,
    validated,
)

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
TOTAL = Decimal("33.90")  # the default order: 2 x 12.50 + 1 x 8.90


def _pay(api, order_id: int, **fields):
    return api.post(f"{ORDERS}{order_id}/payments/", PaymentPayloadFactory(**fields))


def _order(api, **fields) -> Order:
    response = api.post(ORDERS, OrderPayloadFactory(**fields))
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["id"])


def validated_payment(**fields) -> dict:
    return validated(PaymentWriteSerializer, PaymentPayloadFactory(**fields))


def validated_order(payload: dict) -> dict:
    return validated(OrderWriteSerializer, payload)


def _events(order: Order, kind: str) -> list[Event]:
    return list(Event.objects.filter(customer=order.customer, kind=kind).order_by("id"))


# --- Prepaid and cash on delivery -------------------------------------------------------------------


def test_prepaid_order_waits_for_the_full_payment_before_it_is_confirmed(api):
    # given a prepaid order, pending at placement
    order = _order(api, payment_method="prepaid")
    assert order.status == "pending"
    # when a first part of the money is captured
    first = _pay(api, order.pk, amount="20.00", occurred_at="2026-10-01T09:05:00Z")
    # then it is recorded but the order still waits
    assert first.status_code == 201, first.content
    order.refresh_from_db()
    assert (order.status, order.amount_paid, order.is_paid_in_full) == ("pending", Decimal("20.00"), False)
    # when the rest arrives
    second = _pay(api, order.pk, amount="13.90", occurred_at="2026-10-01T09:20:00Z")
    assert second.status_code == 201
    # then the order is paid in full and confirmed as of that payment
    order.refresh_from_db()
    assert (order.status, order.amount_paid) == ("confirmed", TOTAL)
    assert order.status_changed_at == datetime(2026, 10, 1, 9, 20, tzinfo=UTC)
    assert [e.occurred_at for e in _events(order, "payment_captured")] == [
        datetime(2026, 10, 1, 9, 5, tzinfo=UTC),
        datetime(2026, 10, 1, 9, 20, tzinfo=UTC),
    ]
    assert [e.occurred_at for e in _events(order, "order_confirmed")] == [order.status_changed_at]
    assert not OrderAlert.objects.exists()


def test_a_failed_payment_is_on_the_timeline_and_confirms_nothing(api):
    order = _order(api, payment_method="prepaid")
    response = _pay(api, order.pk, status="failed")
    assert response.status_code == 201
    order.refresh_from_db()
    assert (order.status, order.amount_paid) == ("pending", 0)
    assert len(_events(order, "payment_failed")) == 1


def test_cash_on_delivery_is_confirmed_at_placement_and_paid_at_the_door(api):
    # given a cash-on-delivery order: confirmed as placed, nothing paid
    order = _order(api, payment_method="cod")
    assert (order.status, order.amount_paid) == ("confirmed", 0)
    # when it ships and is delivered without any payment
    shipment, _ = services.shipment_upsert(
        order=order, data=validated(ShipmentWriteSerializer, ShipmentPayloadFactory())
    )
    delivered_at = "2026-10-03T14:00:00Z"
    services.tracking_event_add(
        shipment=shipment,
        data=validated(TrackingEventWriteSerializer, {"status": "delivered", "occurred_at": delivered_at}),
    )
    order.refresh_from_db()
    assert (order.status, order.amount_paid) == ("delivered", 0)
    # and the courier's cash is captured at delivery
    response = _pay(api, order.pk, method="cod", occurred_at=delivered_at)
    # then the order is paid in full, still delivered (payment moves no order back), with its event
    assert response.status_code == 201, response.content
    order.refresh_from_db()
    assert (order.status, order.amount_paid, order.is_paid_in_full) == ("delivered", TOTAL, True)
    assert [e.occurred_at for e in _events(order, "payment_captured")] == [
        datetime(2026, 10, 3, 14, tzinfo=UTC)
    ]
    assert not OrderAlert.objects.exists()


def test_a_payment_in_another_currency_than_the_order_is_refused(api):
    order = _order(api, currency="EUR")
    response = _pay(api, order.pk, currency="USD")
    assert response.status_code == 400
    assert list(response.json()) == ["currency"]
    assert not Payment.objects.exists()
    order.refresh_from_db()
    assert order.amount_paid == 0
    assert not _events(order, "payment_captured")


def test_a_payment_resent_is_one_payment(api):
    order = _order(api)
    payload = PaymentPayloadFactory()
    statuses = [api.post(f"{ORDERS}{order.pk}/payments/", payload).status_code for _ in range(3)]
    assert statuses == [201, 200, 200]
    order.refresh_from_db()
    assert (Payment.objects.count(), order.amount_paid) == (1, TOTAL)
    assert len(_events(order, "payment_captured")) == 1


def test_a_refunded_payment_issues_a_refund_and_lowers_the_customers_spend(api):
    # given a prepaid order paid in full; the customer has spent its total
    order = _order(api)
    payment = PaymentPayloadFactory()
    _pay(api, order.pk, **payment)
    order.customer.refresh_from_db()
    assert order.customer.total_spent == TOTAL
    # when the store reports the payment refunded
    response = _pay(api, order.pk, **{**payment, "status": "refunded", "occurred_at": "2026-10-02T08:00:00Z"})
    # then a completed refund of it exists, with its event at the store's time
    assert response.status_code == 200, response.content
    refund = Refund.objects.get()
    assert (refund.amount, refund.completed_at) == (TOTAL, datetime(2026, 10, 2, 8, tzinfo=UTC))
    assert [e.occurred_at for e in _events(order, "refund_issued")] == [refund.completed_at]
    # and the money given back no longer counts as spent
    order.refresh_from_db()
    order.customer.refresh_from_db()
    assert order.amount_refunded == TOTAL
    assert order.customer.total_spent == 0
    assert order.customer.orders_count == 1


# --- Double charge ----------------------------------------------------------------------------------


def _double_charge_alerts(order: Order):
    return OrderAlert.objects.filter(order=order, kind="double_charge")


def test_a_double_charge_opens_one_urgent_alert_however_often_it_is_resent(api):
    # given a prepaid order paid in full
    order = _order(api)
    assert _pay(api, order.pk, external_id="PAY-1").status_code == 201
    assert not OrderAlert.objects.exists()
    # when a second captured payment arrives, then is re-sent again and again, and a third one too
    for _ in range(4):
        assert _pay(api, order.pk, external_id="PAY-2").status_code in (200, 201)
    for _ in range(3):
        assert _pay(api, order.pk, external_id="PAY-3").status_code in (200, 201)
    # then every payment counted once, and exactly one urgent alert is open for the order
    order.refresh_from_db()
    assert order.amount_paid == 3 * TOTAL
    alert = _double_charge_alerts(order).get()
    assert alert.urgent and alert.resolved_at is None
    assert alert.data["payments"] == ["PAY-1", "PAY-2"]
    assert OrderAlert.objects.count() == 1
    # and one `order_alert` event lets the tickets app open one ticket for it
    alerts_logged = _events(order, "order_alert")
    assert [(e.data["kind"], e.data["urgent"]) for e in alerts_logged] == [("double_charge", True)]


def test_refunding_the_excess_resolves_the_double_charge_and_keeps_the_spend(api):
    # given an order charged three times
    order = _order(api)
    for external_id in ("PAY-1", "PAY-2", "PAY-3"):
        _pay(api, order.pk, external_id=external_id)
    # when one extra charge is refunded, the customer is still over-charged: the alert stays open
    _pay(api, order.pk, external_id="PAY-2", status="refunded", occurred_at="2026-10-02T08:00:00Z")
    assert _double_charge_alerts(order).get().resolved_at is None
    # when the other one is refunded too
    _pay(api, order.pk, external_id="PAY-3", status="refunded", occurred_at="2026-10-02T08:05:00Z")
    # then the alert is resolved, the order is paid exactly once
    assert _double_charge_alerts(order).get().resolved_at is not None
    order.refresh_from_db()
    assert order.amount_paid - order.amount_refunded == order.total
    # and giving back money taken twice is no refund of the purchase: the customer still spent the total
    order.customer.refresh_from_db()
    assert order.customer.total_spent == TOTAL


def test_a_refund_of_the_excess_reported_on_its_own_resolves_the_double_charge(api):
    order = _order(api)
    _pay(api, order.pk, external_id="PAY-1")
    _pay(api, order.pk, external_id="PAY-2")
    response = api.post(
        f"{ORDERS}{order.pk}/refunds/",
        {
            "external_id": "REF-1",
            "amount": "33.90",
            "reason": "Charged twice",
            "requested_at": "2026-10-02T08:00:00Z",
            "completed_at": "2026-10-02T09:00:00Z",
        },
    )
    assert response.status_code == 201, response.content
    assert _double_charge_alerts(order).get().resolved_at is not None
    order.customer.refresh_from_db()
    assert order.customer.total_spent == TOTAL
    # and a later double charge opens a new alert (the first one is closed)
    _pay(api, order.pk, external_id="PAY-3")
    assert _double_charge_alerts(order).filter(resolved_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_of_a_double_charge_open_one_alert(live_server, integration_token):
    # given a prepaid order paid in full
    placed = OrderFactory()
    services.payment_upsert(order=placed, data=validated_payment(external_id="PAY-1"), now=PLACED_AT)
    # when ten copies of a second and a third capture arrive at the same moment
    path = f"{ORDERS}{placed.pk}/payments/"
    requests = [(path, PaymentPayloadFactory(external_id=f"PAY-{2 + i % 2}")) for i in range(10)]
    answers = burst(live_server.url, integration_token.key, requests)
    # then none failed, each payment was created once
    statuses = sorted(a.status for a in answers)
    assert statuses == [200] * 8 + [201] * 2, [(a.status, a.body) for a in answers]
    order = Order.objects.get(pk=placed.pk)
    assert order.amount_paid == 3 * TOTAL
    assert Payment.objects.filter(order=order).count() == 3
    # and exactly one urgent alert is open, with one event for it
    alert = OrderAlert.objects.get()
    assert (alert.kind, alert.urgent, alert.resolved_at) == ("double_charge", True, None)
    assert Event.objects.filter(kind="order_alert").count() == 1
    assert Event.objects.filter(kind="payment_captured").count() == 3


# --- The tick: cancelled but not refunded, refund overdue --------------------------------------------


def _tick(now: datetime) -> str:
    out = StringIO()
    call_command("tick", now=now.isoformat(), stdout=out)
    return out.getvalue()


def _paid_then_cancelled(*, cancelled_at: datetime, payment_method: str = "prepaid", paid: bool = True):
    payload = OrderPayloadFactory(payment_method=payment_method)
    order = OrderFactory(**payload)
    if paid:
        services.payment_upsert(order=order, data=validated_payment(), now=PLACED_AT)
    services.order_upsert(
        data=validated_order({**payload, "status": "cancelled"}), source="test", now=cancelled_at
    )
    order.refresh_from_db()
    assert order.cancelled_at == cancelled_at
    return order


def test_a_cancelled_prepaid_order_not_refunded_in_time_opens_one_urgent_alert():
    days = settings.CARECRM["UNREFUNDED_CANCELLATION_DAYS"]
    cancelled_at = datetime(2026, 10, 2, 12, tzinfo=UTC)
    # given a prepaid order paid in full and then cancelled, with the money still held
    order = _paid_then_cancelled(cancelled_at=cancelled_at)
    # and, beside it, one cancelled before payment and one cancelled and refunded
    unpaid = _paid_then_cancelled(cancelled_at=cancelled_at, paid=False)
    cod = _paid_then_cancelled(cancelled_at=cancelled_at, payment_method="cod", paid=False)
    refunded = _paid_then_cancelled(cancelled_at=cancelled_at)
    services.refund_upsert(
        order=refunded,
        data={
            "external_id": "REF-OK",
            "amount": TOTAL,
            "requested_at": cancelled_at,
            "completed_at": cancelled_at + timedelta(days=1),
        },
        now=cancelled_at + timedelta(days=1),
    )
    deadline = cancelled_at + timedelta(days=days)
    # when the tick runs just before the deadline, then nothing is raised yet
    _tick(deadline - timedelta(minutes=1))
    assert not OrderAlert.objects.filter(kind="unrefunded_cancellation").exists()
    # when it runs at the deadline, then one urgent alert opens for the order holding the money
    said = _tick(deadline)
    assert "payment_problems: 1 payment alerts raised" in said
    alert = OrderAlert.objects.get(kind="unrefunded_cancellation")
    assert (alert.order_id, alert.urgent, alert.detected_at) == (order.pk, True, deadline)
    # when it runs again, then no second alert
    assert "payment_problems: 0 payment alerts raised" in _tick(deadline + timedelta(days=1))
    assert OrderAlert.objects.filter(kind="unrefunded_cancellation").count() == 1
    assert {unpaid.pk, cod.pk, refunded.pk}.isdisjoint(OrderAlert.objects.values_list("order", flat=True))
    # when the money is finally refunded, then the alert is resolved
    services.refund_upsert(
        order=order,
        data={
            "external_id": "REF-LATE",
            "amount": TOTAL,
            "requested_at": deadline,
            "completed_at": deadline + timedelta(days=2),
        },
        now=deadline + timedelta(days=2),
    )
    alert.refresh_from_db()
    assert alert.resolved_at == deadline + timedelta(days=2)
    # and the cancelled order never came back into the customer's spend
    order.customer.refresh_from_db()
    assert (order.customer.orders_count, order.customer.total_spent) == (0, 0)


def test_a_refund_owed_too_long_opens_one_refund_overdue_alert():
    days = settings.CARECRM["REFUND_DUE_DAYS"]
    requested_at = datetime(2026, 10, 5, 10, tzinfo=UTC)
    # given a delivered, paid order with a refund promised but not yet made
    order = OrderFactory(status="delivered")
    services.payment_upsert(order=order, data=validated_payment(), now=PLACED_AT)
    services.refund_upsert(
        order=order,
        data={"external_id": "REF-OWED", "amount": Decimal("8.90"), "requested_at": requested_at},
        now=requested_at,
    )
    due = requested_at + timedelta(days=days)
    # when the tick runs before it is overdue, then nothing
    _tick(due - timedelta(minutes=1))
    assert not OrderAlert.objects.filter(kind="refund_overdue").exists()
    # when it runs once it is overdue, and again the day after
    _tick(due)
    _tick(due + timedelta(days=1))
    # then exactly one urgent alert names the refund
    alert = OrderAlert.objects.get(kind="refund_overdue")
    assert (alert.order_id, alert.urgent, alert.data) == (order.pk, True, {"refund": Refund.objects.get().pk})
    assert Event.objects.filter(kind="order_alert", data__kind="refund_overdue").count() == 1
    # when the refund is made, then the alert is resolved and the spend drops by the refund
    services.refund_upsert(
        order=order,
        data={
            "external_id": "REF-OWED",
            "amount": Decimal("8.90"),
            "requested_at": requested_at,
            "completed_at": due + timedelta(days=2),
        },
        now=due + timedelta(days=2),
    )
    alert.refresh_from_db()
    assert alert.resolved_at == due + timedelta(days=2)
    order.customer.refresh_from_db()
    assert order.customer.total_spent == TOTAL - Decimal("8.90")
