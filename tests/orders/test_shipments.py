"""Shipments and carrier tracking: partial shipments, scans that repeat or arrive out of order, delivery
against the promised date, the carrier registry's links, and late deliveries found before the customer
complains."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from lifecycle.models import Event
from orders.models import Order, OrderAlert, Shipment, TrackingEvent
from tests.orders.factories import OrderPayloadFactory, ShipmentPayloadFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _order(api, **fields) -> Order:
    response = api.post(ORDERS, OrderPayloadFactory(**fields))
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["id"])


def _ship(api, order: Order, **fields):
    return api.post(f"{ORDERS}{order.pk}/shipments/", ShipmentPayloadFactory(**fields))


def _scan(api, shipment_id: int, status: str, occurred_at: str, **fields):
    return api.post(
        f"/api/v1/shipments/{shipment_id}/events/", {"status": status, "occurred_at": occurred_at, **fields}
    )


def _kinds(order: Order) -> list[str]:
    return list(Event.objects.filter(customer=order.customer).order_by("id").values_list("kind", flat=True))


# --- Partial shipments ------------------------------------------------------------------------------


def test_items_shipped_in_two_parcels_make_the_order_partially_shipped_then_shipped(api):
    # given a confirmed order of two mugs and one tea
    order = _order(api, payment_method="cod")
    # when one mug leaves in a first parcel
    first = _ship(api, order, items=[{"sku": "MUG-01", "quantity": 1}], shipped_at="2026-10-02T08:00:00Z")
    # then the shipment lists it and the order is partially shipped
    assert first.status_code == 201, first.content
    assert first.json()["items"] == [{"sku": "MUG-01", "quantity": 1}]
    order.refresh_from_db()
    assert order.status == "partially_shipped"
    # when the rest follows
    second = _ship(
        api,
        order,
        items=[{"sku": "MUG-01", "quantity": 1}, {"sku": "TEA-07", "quantity": 1}],
        shipped_at="2026-10-03T08:00:00Z",
    )
    # then the order is shipped, as of the second parcel, and each step is on the timeline
    assert second.status_code == 201, second.content
    order.refresh_from_db()
    assert order.status == "shipped"
    assert order.status_changed_at == datetime(2026, 10, 3, 8, tzinfo=UTC)
    assert _kinds(order)[-4:] == [
        "shipment_created",
        "order_partially_shipped",
        "shipment_created",
        "order_shipped",
    ]
    created = Event.objects.filter(kind="shipment_created").order_by("id")
    assert [e.occurred_at.day for e in created] == [2, 3]


def test_a_shipment_without_items_carries_all_that_is_left(api):
    order = _order(api, payment_method="cod")
    _ship(api, order, items=[{"sku": "TEA-07", "quantity": 1}])
    rest = _ship(api, order)
    assert rest.json()["items"] == [{"sku": "MUG-01", "quantity": 2}]
    order.refresh_from_db()
    assert order.status == "shipped"


def test_a_shipment_resent_is_one_shipment(api):
    order = _order(api, payment_method="cod")
    payload = ShipmentPayloadFactory()
    assert _ship(api, order, **payload).status_code == 201
    again = _ship(api, order, **payload)
    assert again.status_code == 200
    assert Shipment.objects.count() == 1
    assert _kinds(order).count("shipment_created") == 1


@pytest.mark.parametrize(
    ("lines", "why"),
    [
        ([{"sku": "MUG-01", "quantity": 3}], "more than was ordered"),
        ([{"sku": "MUG-01", "quantity": 1}, {"sku": "MUG-01", "quantity": 2}], "more, over two lines"),
        ([{"sku": "NOPE-99", "quantity": 1}], "an item the order does not have"),
        ([{"sku": "MUG-01", "quantity": 0}], "nothing"),
        ([{"sku": "MUG-01", "quantity": -1}], "a negative quantity"),
    ],
)
def test_a_shipment_of_what_cannot_ship_is_refused_and_writes_nothing(api, lines, why):
    order = _order(api, payment_method="cod")
    events_before = Event.objects.count()
    response = _ship(api, order, items=lines)
    assert response.status_code == 400, (why, response.content)
    assert list(response.json()) == ["items"]
    assert not Shipment.objects.exists()
    assert Event.objects.count() == events_before
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_more_than_remains_after_a_first_parcel_is_refused(api):
    order = _order(api, payment_method="cod")
    _ship(api, order, items=[{"sku": "MUG-01", "quantity": 2}])
    response = _ship(api, order, items=[{"sku": "MUG-01", "quantity": 1}])
    assert response.status_code == 400
    assert "Only 0 of MUG-01" in response.json()["items"][0]
    assert Shipment.objects.count() == 1


def test_a_cancelled_order_cannot_ship(api):
    order = _order(api, status="cancelled")
    response = _ship(api, order)
    assert response.status_code == 409
    assert list(response.json()) == ["order"]
    assert not Shipment.objects.exists()


# --- Tracking events --------------------------------------------------------------------------------


def _shipped(api) -> tuple[Order, int]:
    order = _order(api, payment_method="cod", promised_delivery_date="2026-10-06")
    return order, _ship(api, order, shipped_at="2026-10-02T08:00:00Z").json()["id"]


def test_the_same_scan_twice_is_one_event(api):
    order, shipment_id = _shipped(api)
    first = _scan(api, shipment_id, "out_for_delivery", "2026-10-04T07:00:00Z", location="Bristol")
    again = _scan(api, shipment_id, "out_for_delivery", "2026-10-04T07:00:00Z", location="Bristol")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert TrackingEvent.objects.count() == 1
    assert _kinds(order).count("shipment_out_for_delivery") == 1


def test_scans_arriving_out_of_order_keep_the_newest_status(api):
    order, shipment_id = _shipped(api)
    # given the carrier's feed delivers the later scan first
    _scan(api, shipment_id, "out_for_delivery", "2026-10-04T07:00:00Z")
    # when the earlier ones arrive after it
    _scan(api, shipment_id, "in_transit", "2026-10-03T10:00:00Z")
    _scan(api, shipment_id, "label_created", "2026-10-02T08:00:00Z")
    # then the shipment still shows the newest, and its timeline is in the carrier's order
    shipment = Shipment.objects.get()
    assert shipment.status == "out_for_delivery"
    detail = api.get(f"{ORDERS}{order.pk}/").json()
    timeline = [event["status"] for event in detail["shipments"][0]["tracking_events"]]
    assert timeline == ["label_created", "in_transit", "out_for_delivery"]


def test_delivery_of_every_parcel_delivers_the_order_on_time(api):
    # given an order promised for 6 October, shipped in two parcels
    order = _order(api, payment_method="cod", promised_delivery_date="2026-10-06")
    first = _ship(api, order, items=[{"sku": "MUG-01", "quantity": 2}]).json()["id"]
    second = _ship(api, order, items=[{"sku": "TEA-07", "quantity": 1}]).json()["id"]
    # when the first parcel is delivered, then the order waits for the second
    _scan(api, first, "delivered", "2026-10-04T12:00:00Z")
    order.refresh_from_db()
    assert (order.status, order.delivered_at, order.on_time) == ("shipped", None, None)
    # when the second is delivered late in the evening of the promised day
    _scan(api, second, "delivered", "2026-10-06T21:30:00Z")
    # then the order is delivered as of the last parcel, on time
    order.refresh_from_db()
    assert order.status == "delivered"
    assert order.delivered_at == datetime(2026, 10, 6, 21, 30, tzinfo=UTC)
    detail = api.get(f"{ORDERS}{order.pk}/").json()
    assert (detail["status"], detail["on_time"]) == ("delivered", True)
    assert _kinds(order).count("shipment_delivered") == 2
    assert _kinds(order).count("order_delivered") == 1


def test_a_delivery_after_the_promised_date_is_late(api):
    order, shipment_id = _shipped(api)
    _scan(api, shipment_id, "delivered", "2026-10-07T09:00:00Z")
    order.refresh_from_db()
    assert (order.status, order.on_time) == ("delivered", False)
    assert api.get(f"{ORDERS}{order.pk}/").json()["on_time"] is False


def test_a_scan_for_an_unknown_shipment_is_404(api):
    assert _scan(api, 999999, "in_transit", "2026-10-03T10:00:00Z").status_code == 404


# --- Carriers ---------------------------------------------------------------------------------------

CARRIERS = [
    ("FedEx", "fedex", "https://www.fedex.com/fedextrack/?trknbr=TRK%2F1%202"),
    ("UPS", "ups", "https://www.ups.com/track?tracknum=TRK%2F1%202"),
    ("DHL Express", "dhl", "https://www.dhl.com/global-en/home/tracking.html?tracking-id=TRK%2F1%202"),
    ("USPS", "usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels=TRK%2F1%202"),
    ("Royal Mail", "royal_mail", "https://www.royalmail.com/track-your-item#/tracking-results/TRK%2F1%202"),
    (
        "Blue Dart",
        "blue_dart",
        "https://www.bluedart.com/trackdartresultthirdparty?trackFor=0&trackNo=TRK%2F1%202",
    ),
    ("Delhivery", "delhivery", "https://www.delhivery.com/track/package/TRK%2F1%202"),
    ("own fleet", "own_fleet", "https://shop.example/delivery/TRK%2F1%202"),
]


@pytest.mark.parametrize(("named", "code", "link"), CARRIERS)
def test_each_known_carrier_gets_its_code_and_tracking_link(api, settings, named, code, link):
    settings.CARECRM = {
        **settings.CARECRM,
        "OWN_FLEET_TRACKING_URL": "https://shop.example/delivery/{number}",
    }
    order = _order(api, payment_method="cod")
    # a tracking number with a slash and a space cannot break out of the carrier's URL
    response = _ship(api, order, carrier=named, tracking_number="TRK/1 2")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["carrier"], body["carrier_name"], body["tracking_number"]) == (code, named, "TRK/1 2")
    assert body["tracking_url"] == link
    created = Event.objects.get(kind="shipment_created")
    assert created.data["tracking_url"] == link


def test_an_unknown_carrier_keeps_the_number_without_a_link(api):
    order = _order(api, payment_method="cod")
    body = _ship(api, order, carrier="Pony Express", tracking_number="PX-42").json()
    assert (body["carrier"], body["carrier_name"], body["tracking_number"]) == (
        "other",
        "Pony Express",
        "PX-42",
    )
    assert body["tracking_url"] == ""


def test_own_fleet_without_a_tracking_page_has_no_link(api, settings):
    settings.CARECRM = {**settings.CARECRM, "OWN_FLEET_TRACKING_URL": ""}
    order = _order(api, payment_method="cod")
    body = _ship(api, order, carrier="Own fleet", tracking_number="VAN-7").json()
    assert (body["carrier"], body["tracking_number"], body["tracking_url"]) == ("own_fleet", "VAN-7", "")


# --- Late deliveries (tick) -------------------------------------------------------------------------


def _tick(now: str) -> str:
    out = StringIO()
    call_command("tick", now=now, stdout=out)
    return out.getvalue()


def _late_alerts() -> dict[str, str]:
    return {
        alert.order.number: alert.data["state"]
        for alert in OrderAlert.objects.filter(kind="late_delivery").select_related("order")
    }


def test_late_and_at_risk_orders_are_flagged_once(api):
    promised = "2026-10-06"
    # given orders promised for 6 October: one not shipped, one shipped, one delivered on time,
    # one cancelled, and one the store reported delivered when it sent it
    unshipped = _order(api, payment_method="cod", promised_delivery_date=promised)
    in_transit, _ = _shipped(api)
    delivered, parcel = _shipped(api)
    _scan(api, parcel, "delivered", "2026-10-05T10:00:00Z")
    cancelled = _order(api, status="cancelled", promised_delivery_date=promised)
    reported_delivered = _order(api, status="delivered", promised_delivery_date=promised)
    # when the tick runs the day before the promise
    _tick("2026-10-05T06:00:00+00:00")
    # then the order not yet shipped is at risk; the one on its way is not flagged yet
    assert _late_alerts() == {unshipped.number: "at_risk"}
    # when the promised day has passed
    said = _tick("2026-10-07T06:00:00+00:00")
    # then the parcel still on its way is late, and the at-risk order's flag gives way to a late one
    assert "late_deliveries: 2 late deliveries flagged" in said
    open_flags = OrderAlert.objects.filter(kind="late_delivery", resolved_at__isnull=True).select_related(
        "order"
    )
    assert {a.order.number: a.data["state"] for a in open_flags} == {
        unshipped.number: "late",
        in_transit.number: "late",
    }
    # when it runs again, then nothing new
    assert "late_deliveries: 0 late deliveries flagged" in _tick("2026-10-08T06:00:00+00:00")
    assert OrderAlert.objects.filter(kind="late_delivery").count() == 3
    assert all(not alert.urgent for alert in OrderAlert.objects.all())
    flagged = set(OrderAlert.objects.values_list("order__number", flat=True))
    assert flagged.isdisjoint({delivered.number, cancelled.number, reported_delivered.number})
    assert date(2026, 10, 6) == Order.objects.get(pk=in_transit.pk).promised_delivery_date


def test_a_scan_older_than_the_news_stays_in_the_history_without_an_event(api):
    # given a delivered parcel
    _, parcel = _shipped(api)
    _scan(api, parcel, "delivered", "2026-10-05T11:00:00Z")
    # when the carrier's feed reports the earlier out-for-delivery scan afterwards
    _scan(api, parcel, "out_for_delivery", "2026-10-05T07:00:00Z")
    # then the history has it, the shipment is still delivered, and nobody hears "out for delivery"
    shipment = Shipment.objects.get(pk=parcel)
    assert shipment.status == "delivered"
    assert shipment.tracking_events.count() == 2
    assert not Event.objects.filter(kind="shipment_out_for_delivery").exists()


def test_every_delivery_problem_is_on_the_timeline(api):
    _, parcel = _shipped(api)
    _scan(api, parcel, "exception", "2026-10-04T09:00:00Z")
    _scan(api, parcel, "exception", "2026-10-05T09:00:00Z")
    assert Event.objects.filter(kind="shipment_exception").count() == 2
