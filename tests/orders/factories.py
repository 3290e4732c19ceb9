"""Factories for orders and everything after the sale.

`OrderPayloadFactory` is the order as the store posts it (JSON-ready); `OrderFactory` places that same
payload through the API's serializer and `order_upsert`, so an order built in a test has its items, its
`order_placed` event and the customer's stats exactly as a real one would. The model factories below it
(payments, shipments, tracking events, returns, alerts) write rows directly, for tests that only need
data to read back (query counts) or a record in a given state.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory

from customers.models import Customer
from orders import services
from orders.api import OrderWriteSerializer
from orders.models import (
    Order,
    OrderAlert,
    OrderItem,
    Payment,
    Refund,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    TrackingEvent,
)

PLACED_AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _items(n: int = 2) -> list[dict]:
    return [
        {
            "sku": "MUG-01",
            "name": "Stoneware mug",
            "quantity": 2,
            "unit_price": "12.50",
            "category": "kitchen",
        },
        {"sku": "TEA-07", "name": "Loose leaf tea", "quantity": 1, "unit_price": "8.90", "category": "food"},
        {"sku": "TOWEL-3", "name": "Linen towel", "quantity": 3, "unit_price": "6.00", "category": "home"},
    ][:n]


def items_total(items: list[dict]) -> Decimal:
    return sum((Decimal(str(item["unit_price"])) * item["quantity"] for item in items), Decimal(0))


class OrderPayloadFactory(factory.DictFactory):
    """POST /api/v1/orders/ as the store sends it. The total is the items' sum unless given."""

    external_id = factory.Sequence(lambda n: f"ORD-{n:06d}")
    number = factory.Sequence(lambda n: f"{100000 + n}")
    customer = factory.Sequence(lambda n: {"email": f"buyer{n}@mail.example", "first_name": "Ada"})
    placed_at = PLACED_AT.isoformat()
    currency = "EUR"
    payment_method = "prepaid"
    items = factory.LazyFunction(_items)
    total = factory.LazyAttribute(lambda o: str(items_total(o.items)))
    shipping_address = factory.LazyFunction(
        lambda: {"name": "Ada Lovelace", "line1": "1 Harbour Road", "city": "Bristol", "country": "GB"}
    )
    special_instructions = factory.LazyFunction(
        lambda: {"gift_wrap": False, "delivery_slot": "", "note": "Leave with a neighbour"}
    )
    promised_delivery_date = "2026-10-06"


class OrderFactory(OrderPayloadFactory):
    """An order placed through the API's validation and `order_upsert`. `customer` may be a Customer."""

    class Meta:
        model = Order

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise NotImplementedError("An order is only ever stored through order_upsert; use create().")

    @classmethod
    def _create(cls, model_class, *args, **payload):
        if isinstance(payload["customer"], Customer):
            payload["customer"] = {"external_id": payload["customer"].external_id}
        serializer = OrderWriteSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        order, _ = services.order_upsert(data=serializer.validated_data, source="test")
        return order


# --- Rows written directly ----------------------------------------------------------------------------


class OrderItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderItem

    order = factory.SubFactory(OrderFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Faker("word")
    category = "misc"
    quantity = 1
    unit_price = Decimal("10.00")


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    external_id = factory.Sequence(lambda n: f"PAY-{n:06d}")
    amount = factory.LazyAttribute(lambda p: p.order.total)
    currency = factory.LazyAttribute(lambda p: p.order.currency)
    method = "card"
    status = Payment.Status.CAPTURED
    occurred_at = factory.LazyAttribute(lambda p: p.order.placed_at + timedelta(minutes=5))


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(OrderFactory)
    external_id = factory.Sequence(lambda n: f"REF-{n:06d}")
    amount = Decimal("5.00")
    currency = factory.LazyAttribute(lambda r: r.order.currency)
    reason = "Damaged in transit"
    requested_at = factory.LazyAttribute(lambda r: r.order.placed_at + timedelta(days=3))
    completed_at = None


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    external_id = factory.Sequence(lambda n: f"SHP-{n:06d}")
    carrier = "dhl"
    carrier_name = "DHL"
    tracking_number = factory.Sequence(lambda n: f"JD{n:012d}")
    shipped_at = factory.LazyAttribute(lambda s: s.order.placed_at + timedelta(days=1))


class ShipmentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipmentItem

    shipment = factory.SubFactory(ShipmentFactory)
    order_item = factory.LazyAttribute(lambda si: si.shipment.order.items.first())
    quantity = 1


class TrackingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingEvent

    shipment = factory.SubFactory(ShipmentFactory)
    status = Shipment.Status.IN_TRANSIT
    occurred_at = factory.Sequence(lambda n: PLACED_AT + timedelta(days=1, hours=n))
    location = "Leipzig hub"
    description = "Sorted"


class ReturnFactory(factory.django.DjangoModelFactory):
    """A return in any state, for tests of what happens next; `items` is [(order_item, quantity)]."""

    class Meta:
        model = Return
        skip_postgeneration_save = True

    order = factory.SubFactory(OrderFactory)
    rma = factory.Sequence(lambda n: f"RMA-T{n:06d}")
    kind = Return.Kind.RETURN
    reason = "Does not fit"
    resolution = Return.Resolution.REFUND
    status = Return.Status.REQUESTED
    requested_at = factory.LazyAttribute(lambda r: r.order.placed_at + timedelta(days=10))

    @factory.post_generation
    def items(ret, create, extracted, **kwargs):
        if not create:
            return
        lines = (
            extracted if extracted is not None else [(item, item.quantity) for item in ret.order.items.all()]
        )
        ReturnItem.objects.bulk_create(
            ReturnItem(return_request=ret, order_item=item, quantity=quantity) for item, quantity in lines
        )


class OrderAlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderAlert

    order = factory.SubFactory(OrderFactory)
    kind = OrderAlert.Kind.LATE_DELIVERY
    urgent = factory.LazyAttribute(lambda a: a.kind in OrderAlert.URGENT)
    detected_at = factory.LazyAttribute(lambda a: a.order.placed_at + timedelta(days=6))


# --- What the store posts after the order ---------------------------------------------------------------


class PaymentPayloadFactory(factory.DictFactory):
    """POST /api/v1/orders/{id}/payments/; the amount is the default order's total."""

    external_id = factory.Sequence(lambda n: f"PAY-{n:06d}")
    amount = "33.90"
    currency = "EUR"
    method = "card"
    status = "captured"
    occurred_at = (PLACED_AT + timedelta(minutes=5)).isoformat()


class ShipmentPayloadFactory(factory.DictFactory):
    """POST /api/v1/orders/{id}/shipments/; without `items` the shipment carries all that is left."""

    external_id = factory.Sequence(lambda n: f"SHP-{n:06d}")
    carrier = "DHL"
    tracking_number = factory.Sequence(lambda n: f"JD{n:012d}")
    shipped_at = (PLACED_AT + timedelta(days=1)).isoformat()


def validated(serializer_class, payload: dict) -> dict:
    """`payload` as the API's serializer hands it to the services."""
    serializer = serializer_class(data=payload)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
