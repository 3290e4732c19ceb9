"""A carrier's tracking feed at its worst, against a live server: each parcel's scans arrive out of order,
each several times at the same moment, several parcels at once, and the whole feed again later. Each
scan is recorded once, every parcel ends delivered, and its customer hears of the delivery once."""

import io
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command

from carecrm import clock
from lifecycle.models import Event
from orders.models import Notification, Order, Shipment, TrackingEvent
from tests.concurrency import burst
from tests.orders.factories import OrderPayloadFactory

pytestmark = pytest.mark.django_db(transaction=True)

SCANS = ["label_created", "in_transit", "out_for_delivery", "delivered"]
COPIES = 3
# The order in which each parcel's scans reach us: reversed, delivery in the middle, as it happened, and
# one shuffled by chance (seeded, so a failure comes back the same).
ARRIVALS = [
    list(reversed(SCANS)),
    ["in_transit", "delivered", "label_created", "out_for_delivery"],
    list(SCANS),
    random.Random(20261123).sample(SCANS, len(SCANS)),
]


def _shipped_parcel(api, n: int, *, now) -> int:
    order = api.post(
        "/api/v1/orders/",
        OrderPayloadFactory(
            payment_method="cod",
            customer={"email": f"feed-{n}@mail.example", "first_name": "Mira"},
            placed_at=(now - timedelta(days=1)).isoformat(),
        ),
    )
    assert order.status_code == 201, order.content
    shipment = api.post(
        f"/api/v1/orders/{order.json()['id']}/shipments/",
        {
            "external_id": f"FEED-{n}",
            "carrier": "DHL",
            "tracking_number": f"JD01460000{n:04d}",
            "shipped_at": (now - timedelta(hours=5)).isoformat(),
        },
    )
    assert shipment.status_code == 201, shipment.content
    return shipment.json()["id"]


def test_scans_shuffled_duplicated_and_concurrent_end_delivered_and_announced_once(
    live_server, integration_token, api, shop_mail
):
    now = clock.now()
    # each scan is dated in the last hours, so its news is fresh enough to email
    scanned_at = {status: now - timedelta(hours=4 - hour) for hour, status in enumerate(SCANS)}
    parcels = [_shipped_parcel(api, n, now=now) for n in range(len(ARRIVALS))]

    def scan(parcel: int, status: str) -> tuple[str, dict]:
        return (
            f"/api/v1/shipments/{parcel}/events/",
            {"status": status, "occurred_at": scanned_at[status].isoformat(), "location": "Bristol hub"},
        )

    # when each parcel's scans arrive in its own order, each three times at once, all parcels together
    answers = []
    for wave in range(len(SCANS)):
        requests = [
            scan(parcel, ARRIVALS[i][wave]) for i, parcel in enumerate(parcels) for _ in range(COPIES)
        ]
        answers += burst(live_server.url, integration_token.key, requests)
    # and the carrier sends its whole feed once more, every scan of every parcel at the same moment
    replay = burst(
        live_server.url,
        integration_token.key,
        [scan(parcel, status) for parcel in parcels for status in SCANS],
    )

    # then one copy of each scan created it and every other found it: no failure, no second row
    statuses = Counter(answer.status for answer in answers)
    assert statuses == {201: len(parcels) * len(SCANS), 200: len(parcels) * len(SCANS) * (COPIES - 1)}
    assert {answer.status for answer in replay} == {200}
    for parcel in parcels:
        recorded = TrackingEvent.objects.filter(shipment_id=parcel)
        assert sorted(recorded.values_list("status", flat=True)) == sorted(SCANS)
        shipment = Shipment.objects.get(pk=parcel)
        # and the newest scan wins, however late it came
        assert (shipment.status, shipment.delivered_at) == ("delivered", scanned_at["delivered"])
        assert shipment.order.status == Order.Status.DELIVERED

    # when beat's tick hands the events to their subscribers, and sends the emails, more than once
    for minutes in (0, 2, 4):
        call_command("tick", now=(now + timedelta(minutes=minutes)).isoformat(), stdout=io.StringIO())

    # then each parcel's delivery is on its customer's timeline once, and they were told of it once
    for parcel in parcels:
        customer = Shipment.objects.get(pk=parcel).order.customer
        kinds = Counter(Event.objects.filter(customer=customer).values_list("kind", flat=True))
        assert (kinds["shipment_delivered"], kinds["order_delivered"]) == (1, 1), kinds
        assert kinds["shipment_out_for_delivery"] <= 1
        delivered = Notification.objects.get(order__customer=customer, kind=Notification.Kind.DELIVERED)
        assert delivered.status == Notification.Status.SENT
    subjects = Counter((message.to[0], message.subject) for message in mail.outbox)
    assert {key: n for key, n in subjects.items() if n > 1} == {}, "an email went out twice"
    told = sorted(to for to, subject in subjects if subject.endswith("has been delivered"))
    assert told == sorted(f"feed-{n}@mail.example" for n in range(len(parcels)))
