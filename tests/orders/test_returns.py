"""Returns and their windows: 30 days after delivery, the holiday extension, 30-day price protection,
recalls without a window; what can be returned; and what a resolved return does to the money and the
order."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from lifecycle.models import Event
from orders import services
from orders.api import PaymentWriteSerializer
from orders.models import Order, Refund, Return
from tests.orders.factories import OrderFactory, PaymentPayloadFactory, validated

pytestmark = pytest.mark.django_db


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _delivered(*, placed_at: str, delivered_at: str, **fields) -> Order:
    order = OrderFactory(placed_at=_at(placed_at), payment_method="cod", **fields)
    with transaction.atomic():
        locked = services.order_locked(order.pk)
        services.order_transition(order=locked, to="delivered", occurred_at=_at(delivered_at), source="test")
    order.refresh_from_db()
    return order


def _lines(order: Order, **quantities) -> list[dict]:
    """{sku: quantity} as the return form sends it: order item ids with quantities."""
    by_sku = {item.sku.replace("-", "_"): item.pk for item in order.items.all()}
    return [{"order_item": by_sku[sku], "quantity": quantity} for sku, quantity in quantities.items()]


def _request(order: Order, now: str, *, kind: str = "return", resolution: str = "refund", **quantities):
    return services.return_request(
        order=order,
        kind=kind,
        reason="Not as pictured",
        resolution=resolution,
        items=_lines(order, **(quantities or {"MUG_01": 1})),
        source="track",
        now=_at(now),
    )


def _refused(order: Order, now: str, **kwargs) -> dict:
    with pytest.raises(ValidationError) as refused:
        _request(order, now, **kwargs)
    assert not Return.objects.filter(order=order).exists()
    return refused.value.message_dict


def _move(ret: Return, *statuses: str, now: str) -> Return:
    for status in statuses:
        ret = services.return_transition(ret=ret, to=status, actor="agent:sam", now=_at(now))
    return ret


# --- Windows ----------------------------------------------------------------------------------------


def test_a_return_can_start_until_the_30th_day_after_delivery():
    # given an order placed in spring and delivered on 1 March
    order = _delivered(placed_at="2026-02-25T10:00:00", delivered_at="2026-03-01T10:00:00")
    assert services.return_deadline(order) == date(2026, 3, 31)
    # when the customer asks just after midnight on day 31 (1 April), it is refused
    assert "closed on 31 March 2026" in _refused(order, "2026-04-01T00:30:00")["order"][0]
    # and on day 30, late in the evening, it is accepted and recorded
    ret = _request(order, "2026-03-31T23:30:00")
    assert (ret.status, ret.kind, ret.resolution) == ("requested", "return", "refund")
    event = Event.objects.get(kind="return_requested")
    assert (event.occurred_at, event.data["rma"], event.data["source"]) == (
        ret.requested_at,
        ret.rma,
        "track",
    )


@pytest.mark.parametrize(
    ("placed_at", "delivered_at", "deadline"),
    [
        # placed in the season: returnable until 31 January, even when delivered early
        ("2026-11-15T00:00:00", "2026-11-20T12:00:00", date(2027, 1, 31)),
        ("2026-12-01T09:00:00", "2026-12-03T12:00:00", date(2027, 1, 31)),
        ("2026-12-31T23:59:00", "2027-01-02T12:00:00", date(2027, 2, 1)),  # the normal window is longer
        # placed the day before the season: the normal 30 days
        ("2026-11-14T23:59:00", "2026-11-20T12:00:00", date(2026, 12, 20)),
        ("2027-01-01T00:00:00", "2027-01-03T12:00:00", date(2027, 2, 2)),
    ],
)
def test_the_holiday_season_extends_the_return_window(placed_at, delivered_at, deadline):
    order = _delivered(placed_at=placed_at, delivered_at=delivered_at)
    assert services.return_deadline(order) == deadline
    last_day = datetime.combine(deadline, datetime.min.time(), tzinfo=UTC)
    assert "closed" in _refused(order, (last_day + timedelta(days=1, minutes=1)).isoformat()[:19])["order"][0]
    assert _request(order, (last_day + timedelta(hours=18)).isoformat()[:19]).status == "requested"


def test_a_holiday_order_delivered_in_november_is_returnable_on_31_january():
    order = _delivered(placed_at="2026-11-15T08:00:00", delivered_at="2026-11-20T12:00:00")
    # the normal window closed on 20 December, the holiday one has not
    assert _request(order, "2027-01-31T20:00:00").status == "requested"


def test_price_protection_runs_30_days_from_placement_even_before_delivery():
    # given an order placed on 1 October and not delivered yet
    order = OrderFactory(placed_at=_at("2026-10-01T09:00:00"))
    assert services.return_deadline(order, kind="price_protection") == date(2026, 10, 31)
    # then a claim on day 31 is refused and one on day 30 accepted
    assert "order" in _refused(order, "2026-11-01T08:00:00", kind="price_protection")
    claim = _request(order, "2026-10-31T08:00:00", kind="price_protection")
    assert (claim.kind, claim.status) == ("price_protection", "requested")


def test_a_recall_has_no_window():
    order = _delivered(placed_at="2026-02-25T10:00:00", delivered_at="2026-03-01T10:00:00")
    assert services.return_deadline(order, kind="recall") is None
    recall = _request(order, "2028-06-01T10:00:00", kind="recall", resolution="replacement")
    assert (recall.kind, recall.resolution) == ("recall", "replacement")


def test_a_repair_keeps_to_the_return_window():
    order = _delivered(placed_at="2026-02-25T10:00:00", delivered_at="2026-03-01T10:00:00")
    assert "order" in _refused(order, "2026-04-01T10:00:00", kind="repair", resolution="repair")
    assert _request(order, "2026-03-20T10:00:00", kind="repair", resolution="repair").kind == "repair"


def test_nothing_can_be_returned_before_it_arrives_or_once_cancelled():
    shipped = OrderFactory(status="shipped")
    assert "delivered" in _refused(shipped, "2026-10-05T10:00:00")["order"][0]
    cancelled = OrderFactory(status="cancelled")
    assert "order" in _refused(cancelled, "2026-10-05T10:00:00", kind="recall")


# --- What can be returned ---------------------------------------------------------------------------


def test_more_than_was_bought_cannot_be_returned():
    # given a delivered order of two mugs and one tea
    order = _delivered(placed_at="2026-10-01T09:00:00", delivered_at="2026-10-03T09:00:00")
    # then three mugs cannot come back
    assert "items" in _refused(order, "2026-10-10T10:00:00", MUG_01=3)
    # and once two have been asked for, not one more
    first = _request(order, "2026-10-10T10:00:00", MUG_01=2)
    with pytest.raises(ValidationError) as refused:
        _request(order, "2026-10-11T10:00:00", MUG_01=1)
    assert "items" in refused.value.message_dict
    # unless the first return is rejected, which frees them again
    _move(first, "rejected", now="2026-10-12T10:00:00")
    assert _request(order, "2026-10-13T10:00:00", MUG_01=1).status == "requested"


def test_a_return_of_nothing_or_of_another_orders_item_is_refused():
    order = _delivered(placed_at="2026-10-01T09:00:00", delivered_at="2026-10-03T09:00:00")
    other = OrderFactory()
    now = _at("2026-10-10T10:00:00")
    for items in (
        [],
        [{"order_item": order.items.first().pk, "quantity": 0}],
        [{"order_item": other.items.first().pk, "quantity": 1}],
    ):
        with pytest.raises(ValidationError) as refused:
            services.return_request(
                order=order, kind="return", reason="x", resolution="refund", items=items, source="t", now=now
            )
        assert "items" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.return_request(
            order=order,
            kind="return",
            reason="  ",
            resolution="refund",
            items=_lines(order, MUG_01=1),
            source="t",
            now=now,
        )
    assert "reason" in refused.value.message_dict
    assert not Return.objects.exists()


# --- Resolution -------------------------------------------------------------------------------------


def _paid_and_delivered() -> Order:
    order = _delivered(placed_at="2026-10-01T09:00:00", delivered_at="2026-10-03T09:00:00")
    data = validated(
        PaymentWriteSerializer, PaymentPayloadFactory(method="cod", occurred_at="2026-10-03T09:00:00Z")
    )
    services.payment_upsert(order=order, data=data, now=_at("2026-10-03T09:00:00"))
    order.refresh_from_db()
    return order


def test_a_resolved_return_of_everything_owes_the_refund_and_returns_the_order():
    # given a paid, delivered order of 33.90 and a return of all of it for a refund
    order = _paid_and_delivered()
    ret = _request(order, "2026-10-10T10:00:00", MUG_01=2, TEA_07=1)
    # when staff approve it, receive the parcel and resolve it
    ret = _move(ret, "approved", "received", "resolved", now="2026-10-15T10:00:00")
    # then the refund of the items is owed (the store makes it), and the order is returned
    refund = Refund.objects.get()
    assert (refund.amount, refund.completed_at, refund.external_id) == (
        Decimal("33.90"),
        None,
        f"return:{ret.rma}",
    )
    order.refresh_from_db()
    assert order.status == "returned"
    kinds = list(Event.objects.filter(customer=order.customer).order_by("id").values_list("kind", flat=True))
    assert kinds[-5:] == [
        "return_requested",
        "return_approved",
        "return_received",
        "return_resolved",
        "order_returned",
    ]
    # when the store reports the refund made, then it is issued and no longer counts as spent
    services.refund_upsert(
        order=order,
        data={
            "external_id": refund.external_id,
            "amount": refund.amount,
            "requested_at": refund.requested_at,
            "completed_at": _at("2026-10-16T10:00:00"),
        },
        now=_at("2026-10-16T10:00:00"),
    )
    assert Event.objects.filter(kind="refund_issued").count() == 1
    order.customer.refresh_from_db()
    assert order.customer.total_spent == 0


def test_a_partial_return_leaves_the_order_delivered():
    order = _paid_and_delivered()
    ret = _request(order, "2026-10-10T10:00:00", MUG_01=1)
    _move(ret, "approved", "received", "resolved", now="2026-10-15T10:00:00")
    assert Refund.objects.get().amount == Decimal("12.50")
    order.refresh_from_db()
    assert order.status == "delivered"


def test_the_order_is_returned_only_once_every_item_is_back():
    # given two returns covering the whole order, one of them still waiting for its parcel
    order = _paid_and_delivered()
    mugs = _request(order, "2026-10-10T10:00:00", MUG_01=2)
    tea = _request(order, "2026-10-10T11:00:00", TEA_07=1)
    _move(tea, "approved", now="2026-10-11T10:00:00")
    # when the mugs' return is resolved
    _move(mugs, "approved", "received", "resolved", now="2026-10-15T10:00:00")
    # then the order is not returned: the tea has not come back
    order.refresh_from_db()
    assert order.status == "delivered"
    # when the tea's return is given up, the order stays delivered, and the tea can still be returned
    _move(tea, "cancelled", now="2026-10-16T10:00:00")
    order.refresh_from_db()
    assert order.status == "delivered"
    again = _request(order, "2026-10-17T10:00:00", TEA_07=1)
    # when that one is resolved, then everything is back and the order is returned
    _move(again, "approved", "received", "resolved", now="2026-10-20T10:00:00")
    order.refresh_from_db()
    assert order.status == "returned"
    assert sum(r.amount for r in Refund.objects.all()) == Decimal("33.90")


def test_items_exchanged_for_replacements_do_not_return_the_order():
    # given everything sent back to be replaced
    order = _paid_and_delivered()
    ret = _request(order, "2026-10-10T10:00:00", resolution="replacement", MUG_01=2, TEA_07=1)
    _move(ret, "approved", "received", "resolved", now="2026-10-15T10:00:00")
    # then no money is owed, and the order is not `returned`: the customer kept what they bought
    assert not Refund.objects.exists()
    order.refresh_from_db()
    assert order.status == "delivered"


def test_an_order_sent_as_already_delivered_can_be_returned_within_its_window():
    # given a backfilled order the store reports as delivered, with and without its delivery date
    dated = OrderFactory(
        placed_at=_at("2026-03-01T10:00:00"), status="delivered", delivered_at=_at("2026-03-04T12:00:00")
    )
    undated = OrderFactory(placed_at=_at("2026-03-01T10:00:00"), status="delivered")
    # then the window runs from the delivery date, or from placement when the store did not say
    assert services.return_deadline(dated) == date(2026, 4, 3)
    assert services.return_deadline(undated) == date(2026, 3, 31)
    assert _request(dated, "2026-04-02T09:00:00").status == "requested"


def test_windows_are_counted_in_the_shops_time_zone(settings):
    # given a shop in India and a parcel delivered at 05:00 there on 5 March (23:30 UTC on the 4th)
    settings.TIME_ZONE = "Asia/Kolkata"
    order = OrderFactory(
        placed_at=_at("2026-03-01T10:00:00"), status="delivered", delivered_at=_at("2026-03-04T23:30:00")
    )
    # then the 30 days run from the shop's 5 March
    assert services.return_deadline(order) == date(2026, 4, 4)
    # and a request at 01:00 shop time on 5 April (19:30 UTC on the 4th) is a day too late
    with pytest.raises(ValidationError):
        services.return_check_allowed(order=order, kind="return", now=_at("2026-04-04T19:30:00"))
