"""Orders for the tracking-page tests, built through orders.services exactly as the store's pushes
build them: a placed order, its shipments with their carrier scans, its delivery."""

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from orders import services
from orders.models import Order, Shipment, TrackingEvent

PLACED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

_numbers = itertools.count(1)

ITEMS = [
    {"sku": "KETTLE-1", "name": "Enamel kettle", "quantity": 1, "unit_price": "39.00", "category": "kitchen"},
    {"sku": "MUG-2", "name": "Stoneware mug", "quantity": 2, "unit_price": "12.50", "category": "kitchen"},
]


def order_place(
    *,
    number: str | None = None,
    email: str | None = None,
    placed_at: datetime = PLACED_AT,
    items: list[dict] | None = None,
    total: str | None = None,
    currency: str = "EUR",
    payment_method: str = "prepaid",
    promised_delivery_date: date | None = None,
    gift_wrap: bool = False,
    delivery_slot: str = "",
    note: str = "",
) -> Order:
    serial = next(_numbers)
    number = number or f"T-{serial:05d}"
    items = items if items is not None else [dict(item) for item in ITEMS]
    data = {
        "external_id": f"track-{number}",
        "number": number,
        "customer": {"email": email or f"shopper{serial}@mail.example", "first_name": "Mira"},
        "placed_at": placed_at,
        "currency": currency,
        "total": total or str(sum((Decimal(i["unit_price"]) * i["quantity"] for i in items), Decimal(0))),
        "payment_method": payment_method,
        "items": items,
        "shipping_address": {
            "name": "Mira Holt",
            "line1": "4 Quay Street",
            "city": "Galway",
            "country": "IE",
        },
        "special_instructions": {"gift_wrap": gift_wrap, "delivery_slot": delivery_slot, "note": note},
        "promised_delivery_date": promised_delivery_date or (placed_at + timedelta(days=5)).date(),
    }
    order, _ = services.order_upsert(data=data, source="test", now=placed_at)
    return order


def shipment_send(
    order: Order,
    *,
    carrier: str = "DHL",
    tracking_number: str | None = None,
    shipped_at: datetime | None = None,
    items: list[dict] | None = None,
    scans: list[tuple[str, datetime, str, str]] = (),
) -> Shipment:
    """Ship `items` ([{sku, quantity}], everything left when None) and add the carrier's scans,
    each (status, occurred_at, location, description)."""
    shipped_at = shipped_at or order.placed_at + timedelta(days=1)
    serial = next(_numbers)
    shipment, _ = services.shipment_upsert(
        order=order,
        data={
            "external_id": f"track-shp-{serial}",
            "carrier": carrier,
            "tracking_number": tracking_number if tracking_number is not None else f"TRK{serial:09d}",
            "shipped_at": shipped_at,
            "items": items,
        },
        now=shipped_at,
    )
    for status, occurred_at, location, description in scans:
        services.tracking_event_add(
            shipment=shipment,
            data={
                "status": status,
                "occurred_at": occurred_at,
                "location": location,
                "description": description,
            },
            now=occurred_at,
        )
    return shipment


def order_deliver(order: Order, *, delivered_at: datetime, carrier: str = "DHL") -> Order:
    """Ship whatever is left in one package and have the carrier deliver it (and any package still out)."""
    if order.status in (Order.Status.PENDING, Order.Status.CONFIRMED, Order.Status.PARTIALLY_SHIPPED):
        shipment_send(
            order,
            carrier=carrier,
            shipped_at=delivered_at - timedelta(days=2),
            scans=[(Shipment.Status.IN_TRANSIT, delivered_at - timedelta(days=1), "Hub", "On its way")],
        )
    for shipment in order.shipments.filter(delivered_at__isnull=True):
        services.tracking_event_add(
            shipment=shipment,
            data={
                "status": Shipment.Status.DELIVERED,
                "occurred_at": delivered_at,
                "location": "Galway",
                "description": "Handed to the customer",
            },
            now=delivered_at,
        )
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED, order.status
    return order


def scans_add(shipment: Shipment, *, count: int, start: datetime) -> None:
    """Many in-transit scans, written directly: enough rows to show a page's queries do not grow."""
    TrackingEvent.objects.bulk_create(
        TrackingEvent(
            shipment=shipment,
            status=Shipment.Status.IN_TRANSIT,
            occurred_at=start + timedelta(minutes=index),
            location=f"Depot {index}",
            description="Sorted",
        )
        for index in range(count)
    )
