"""Every status move of orders, returns and payments: each allowed one succeeds and records its Event,
each refused one raises Conflict and changes nothing (STYLE.md, convention 3). Through the API a refused
move is a 409 naming the field, never a 500."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from carecrm.errors import Conflict
from lifecycle.models import Event
from orders import services
from orders.models import Order, Payment, Refund, Return
from orders.services import ORDER_TRANSITIONS, PAYMENT_TRANSITIONS, RETURN_TRANSITIONS
from tests.orders.factories import PLACED_AT, OrderFactory, OrderPayloadFactory, ReturnFactory

pytestmark = pytest.mark.django_db

MOVED_AT = datetime(2026, 10, 4, 15, 30, tzinfo=UTC)
ORDER_STATUSES = list(Order.Status.values)
RETURN_STATUSES = list(Return.Status.values)
PAYMENT_STATUSES = list(Payment.Status.values)


def _pairs(statuses, transitions, *, allowed: bool):
    return [
        (before, after)
        for before, after in product(statuses, statuses)
        if before != after and (after in transitions[before]) == allowed
    ]


def test_the_maps_name_every_status():
    # A status missing from a map would make every move out of it a KeyError, i.e. a 500.
    assert set(ORDER_TRANSITIONS) == set(ORDER_STATUSES)
    assert set(RETURN_TRANSITIONS) == set(RETURN_STATUSES)
    assert set(PAYMENT_TRANSITIONS) == set(PAYMENT_STATUSES)
    # and the end states are ends
    assert ORDER_TRANSITIONS["cancelled"] == ORDER_TRANSITIONS["returned"] == set()
    assert PAYMENT_TRANSITIONS["refunded"] == set()


# --- Orders -----------------------------------------------------------------------------------------


def _transition(order: Order, to: str) -> Order:
    with transaction.atomic():
        locked = services.order_locked(order.pk)
        return services.order_transition(order=locked, to=to, occurred_at=MOVED_AT, source="test")


@pytest.mark.parametrize(("before", "after"), _pairs(ORDER_STATUSES, ORDER_TRANSITIONS, allowed=True))
def test_an_allowed_order_transition_moves_it_and_records_its_event(before, after):
    # given an order the store placed in `before`
    order = OrderFactory(status=before)
    customer = order.customer
    events_before = set(Event.objects.values_list("pk", flat=True))
    # when it moves to `after`
    _transition(order, after)
    # then it is there, as of the moment of the move
    order.refresh_from_db()
    assert order.status == after
    assert order.status_changed_at == MOVED_AT
    # and exactly one event says so, at that moment
    new_events = list(Event.objects.exclude(pk__in=events_before).values("kind", "occurred_at", "data"))
    expected_kind = "order_cancelled" if after == "cancelled" else f"order_{after}"
    assert [(e["kind"], e["occurred_at"]) for e in new_events] == [(expected_kind, MOVED_AT)]
    assert new_events[0]["data"]["order"] == order.pk
    customer.refresh_from_db()
    if after == "cancelled":
        # a cancelled order is no purchase: it leaves the customer's stats
        assert order.cancelled_at == MOVED_AT
        assert (customer.orders_count, customer.total_spent, customer.last_order_at) == (0, 0, None)
    else:
        assert (customer.orders_count, customer.total_spent) == (1, order.total)
    if after == "delivered":
        assert order.delivered_at == MOVED_AT


@pytest.mark.parametrize(("before", "after"), _pairs(ORDER_STATUSES, ORDER_TRANSITIONS, allowed=False))
def test_a_refused_order_transition_raises_conflict_and_changes_nothing(before, after):
    # given an order in `before`
    order = OrderFactory(status=before)
    events_before = Event.objects.count()
    # when something tries to move it to `after`, then it is refused as a conflict on `status`
    with pytest.raises(Conflict) as refused:
        _transition(order, after)
    assert refused.value.field == "status"
    assert before in refused.value.message and after in refused.value.message
    # and the order and the log are as they were
    order.refresh_from_db()
    assert order.status == before
    assert Event.objects.count() == events_before


def test_moving_an_order_to_its_own_status_records_nothing():
    order = OrderFactory(status="shipped")
    events_before = Event.objects.count()
    _transition(order, "shipped")
    order.refresh_from_db()
    assert order.status == "shipped"
    assert Event.objects.count() == events_before


def test_an_unknown_order_status_is_a_validation_error():
    order = OrderFactory()
    with pytest.raises(ValidationError) as refused:
        _transition(order, "lost_in_space")
    assert "status" in refused.value.message_dict


# --- Returns ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), _pairs(RETURN_STATUSES, RETURN_TRANSITIONS, allowed=True))
def test_an_allowed_return_transition_moves_it_and_records_its_event(before, after):
    # given a delivered order with a return of one of its items in `before`
    order = OrderFactory(status="delivered")
    mug = order.items.get(sku="MUG-01")
    ret = ReturnFactory(order=order, status=before, items=[(mug, 1)])
    events_before = set(Event.objects.values_list("pk", flat=True))
    # when staff move it to `after`
    services.return_transition(ret=ret, to=after, actor="agent:sam", now=MOVED_AT, note="checked")
    # then it is there, stamped with the moment
    ret.refresh_from_db()
    assert ret.status == after
    assert ret.status_changed_at == MOVED_AT
    assert ret.staff_note == "checked"
    if after == "received":
        assert ret.received_at == MOVED_AT
    if after == "resolved":
        assert ret.resolved_at == MOVED_AT
    # and its event is on the customer's timeline (a refund resolution also owes the money back)
    kinds = list(Event.objects.exclude(pk__in=events_before).values_list("kind", "occurred_at"))
    assert (f"return_{after}", MOVED_AT) in kinds
    assert len(kinds) == 1


@pytest.mark.parametrize(("before", "after"), _pairs(RETURN_STATUSES, RETURN_TRANSITIONS, allowed=False))
def test_a_refused_return_transition_raises_conflict_and_changes_nothing(before, after):
    order = OrderFactory(status="delivered")
    ret = ReturnFactory(order=order, status=before)
    events_before = Event.objects.count()
    with pytest.raises(Conflict) as refused:
        services.return_transition(ret=ret, to=after, actor="agent:sam", now=MOVED_AT)
    assert refused.value.field == "status"
    ret.refresh_from_db()
    assert ret.status == before
    assert Event.objects.count() == events_before
    assert Refund.objects.count() == 0


# --- Payments ---------------------------------------------------------------------------------------


def _payment(order: Order, status: str, *, occurred_at: datetime, external_id: str = "PAY-1"):
    return services.payment_upsert(
        order=order,
        data={
            "external_id": external_id,
            "amount": order.total,
            "currency": order.currency,
            "method": "card",
            "status": status,
            "occurred_at": occurred_at,
        },
        now=occurred_at,
    )


PAYMENT_EVENT = {"captured": "payment_captured", "failed": "payment_failed", "refunded": "refund_issued"}


@pytest.mark.parametrize(("before", "after"), _pairs(PAYMENT_STATUSES, PAYMENT_TRANSITIONS, allowed=True))
def test_an_allowed_payment_transition_moves_the_money_and_records_its_event(before, after):
    # given a prepaid order and a payment the store first reported as `before`
    order = OrderFactory(payment_method="prepaid")
    _payment(order, before, occurred_at=PLACED_AT + timedelta(minutes=1))
    events_before = set(Event.objects.values_list("pk", flat=True))
    # when the store reports the same payment as `after`
    payment, created = _payment(order, after, occurred_at=MOVED_AT)
    # then it is one payment, now `after`, and its event carries the store's time
    assert not created
    assert payment.status == after
    assert Payment.objects.count() == 1
    kinds = list(Event.objects.exclude(pk__in=events_before).values_list("kind", "occurred_at"))
    assert (PAYMENT_EVENT[after], MOVED_AT) in kinds
    order.refresh_from_db()
    if after == "captured":
        # a retried card that went through pays the order, which is then confirmed
        assert (order.amount_paid, order.amount_refunded, order.status) == (order.total, 0, "confirmed")
    if after == "refunded":
        assert order.amount_paid == order.amount_refunded == order.total


@pytest.mark.parametrize(("before", "after"), _pairs(PAYMENT_STATUSES, PAYMENT_TRANSITIONS, allowed=False))
def test_a_refused_payment_transition_raises_conflict_and_changes_nothing(before, after):
    order = OrderFactory(payment_method="prepaid")
    _payment(order, before, occurred_at=PLACED_AT + timedelta(minutes=1))
    order.refresh_from_db()
    money_before = (order.amount_paid, order.amount_refunded, order.status)
    events_before = Event.objects.count()
    with pytest.raises(Conflict) as refused:
        _payment(order, after, occurred_at=MOVED_AT)
    assert refused.value.field == "status"
    assert Payment.objects.get().status == before
    order.refresh_from_db()
    assert (order.amount_paid, order.amount_refunded, order.status) == money_before
    assert Event.objects.count() == events_before


def test_a_payment_first_reported_as_refunded_was_taken_and_given_back():
    # given a prepaid order paid by card, and an earlier attempt the store only reports once refunded
    order = OrderFactory(payment_method="prepaid")
    _payment(order, "captured", occurred_at=PLACED_AT + timedelta(minutes=1), external_id="PAY-KEPT")
    _payment(order, "refunded", occurred_at=PLACED_AT + timedelta(minutes=2), external_id="PAY-BACK")
    # then the order is still paid in full and the customer still spent the order's total
    order.refresh_from_db()
    assert order.amount_paid - order.amount_refunded == order.total
    assert order.is_paid_in_full
    order.customer.refresh_from_db()
    assert order.customer.total_spent == order.total


# --- Through the API: a refused move is a 409 with the field, never a 500 -----------------------------


def test_a_refused_order_status_through_the_api_is_409_on_status(api):
    # given an order the store has reported delivered
    payload = OrderPayloadFactory(status="delivered")
    assert api.post("/api/v1/orders/", payload).status_code == 201
    # when it reports it pending again (a replayed old message)
    response = api.post("/api/v1/orders/", {**payload, "status": "pending", "total": "1.00"})
    # then the answer is a conflict naming the status, and nothing changed, not even the other fields
    assert response.status_code == 409, response.content
    assert list(response.json()) == ["status"]
    order = Order.objects.get()
    assert (order.status, order.total) == ("delivered", Decimal(payload["total"]))


def test_a_cancelled_order_cannot_be_revived_through_the_api(api):
    payload = OrderPayloadFactory(status="cancelled")
    api.post("/api/v1/orders/", payload)
    for status in ("pending", "confirmed", "shipped", "delivered"):
        response = api.post("/api/v1/orders/", {**payload, "status": status})
        assert response.status_code == 409, (status, response.content)
        assert "status" in response.json()
    assert Order.objects.get().status == "cancelled"


def test_a_refused_payment_status_through_the_api_is_409_on_status(api):
    # given a payment captured and then refunded
    order_id = api.post("/api/v1/orders/", OrderPayloadFactory()).json()["id"]
    order = Order.objects.get(pk=order_id)
    url = f"/api/v1/orders/{order_id}/payments/"
    payment = {
        "external_id": "PAY-9",
        "amount": str(order.total),
        "currency": "EUR",
        "status": "captured",
        "occurred_at": "2026-10-01T09:05:00Z",
    }
    assert api.post(url, payment).status_code == 201
    assert api.post(url, {**payment, "status": "refunded"}).status_code == 200
    # when the store replays the capture
    for status in ("captured", "failed"):
        response = api.post(url, {**payment, "status": status})
        # then it is refused as a conflict on the status
        assert response.status_code == 409, response.content
        assert list(response.json()) == ["status"]
    assert Payment.objects.get().status == "refunded"
