"""A customer's value on the pages that show one customer: support load from the timeline and the
profitability class, counted at margin when the store sends what the goods cost."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from lifecycle.services import event_record
from orders import services
from orders.models import Order, OrderItem
from orders.value import customer_value
from tests.orders.factories import OrderFactory, OrderPayloadFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 10, 20, tzinfo=UTC)


@pytest.fixture
def service_cost(settings):
    settings.CARECRM = {**settings.CARECRM, "SERVICE_COST_PER_TICKET": "25.00"}


def _items(*, cost: str | None) -> list[dict]:
    item = {"sku": "LAMP-1", "name": "Desk lamp", "quantity": 2, "unit_price": "30.00"}
    return [item if cost is None else {**item, "unit_cost": cost}]


def test_without_costs_profit_is_revenue_less_service(service_cost, django_assert_num_queries):
    order = OrderFactory(items=_items(cost=None))
    customer = order.customer
    for kind in ["ticket_opened", "ticket_opened", "ticket_opened", "refund_issued", "return_requested"]:
        event_record(customer=customer, kind=kind, occurred_at=NOW, summary=kind)
    customer.refresh_from_db()

    # the timeline's counts by kind; the sums over the items of the orders that stand
    with django_assert_num_queries(2):
        value = customer_value(customer)

    assert (value["orders"], value["tickets"], value["refunds"], value["returns"]) == (1, 3, 1, 1)
    assert value["average_order_value"] == Decimal("60.00")
    assert value["service_cost"] == Decimal("75.00")
    assert (value["basis"], value["net"], value["profitable"]) == ("revenue", Decimal("-15.00"), False)


def test_with_costs_profit_is_margin_less_service(service_cost):
    order = OrderFactory(items=_items(cost="12.00"))  # 60.00 of goods that cost 24.00: a 60 % margin
    event_record(customer=order.customer, kind="ticket_opened", occurred_at=NOW, summary="ticket")
    order.customer.refresh_from_db()

    value = customer_value(order.customer)

    assert value["basis"] == "margin"
    assert value["margin_rate"] == Decimal("0.6")
    assert (value["net"], value["profitable"]) == (Decimal("11.00"), True)  # 36.00 - 25.00


def test_one_item_without_cost_falls_back_to_revenue(service_cost):
    order = OrderFactory(items=_items(cost="12.00"))
    OrderFactory(customer={"email": order.customer.email}, items=_items(cost=None))
    order.customer.refresh_from_db()

    value = customer_value(order.customer)

    assert (value["basis"], value["net"]) == ("revenue", Decimal("120.00"))


def test_cancelled_orders_and_refunds_leave_the_margin(service_cost):
    kept = OrderFactory(items=_items(cost="12.00"))
    cancelled = OrderFactory(customer={"email": kept.customer.email}, items=_items(cost=None))
    services.order_transition(order=cancelled, to=Order.Status.CANCELLED, occurred_at=NOW, source="test")
    payment = {"amount": "60.00", "currency": "EUR", "status": "captured", "occurred_at": NOW}
    services.payment_upsert(order=kept, data={"external_id": "P-1", **payment})
    refund = {"amount": "10.00", "reason": "scratched", "requested_at": NOW, "completed_at": NOW}
    services.refund_upsert(order=kept, data={"external_id": "R-1", **refund})
    kept.customer.refresh_from_db()

    value = customer_value(kept.customer)

    # spend 60.00 less the 10.00 refunded, at the 60 % margin of the order that stands
    assert (value["basis"], value["net"]) == ("margin", Decimal("30.00"))


def test_the_store_sends_costs_and_may_send_them_after_shipping(api):
    payload = OrderPayloadFactory(items=_items(cost=None))
    assert api.post("/api/v1/orders/", payload, format="json").status_code == 201
    order = Order.objects.get(number=payload["number"])
    services.shipment_upsert(
        order=order, data={"external_id": "S-1", "carrier": "dhl", "tracking_number": "T1", "shipped_at": NOW}
    )

    answer = api.post("/api/v1/orders/", {**payload, "items": _items(cost="12.00")}, format="json")

    assert answer.status_code == 200
    assert answer.json()["items"][0]["unit_cost"] == "12.00"
    assert OrderItem.objects.get(order=order).unit_cost == Decimal("12.00")


@pytest.mark.parametrize(
    ("cost", "message"),
    [("-1.00", "greater than or equal to 0"), ("1.005", "decimal places"), ("many", "valid number")],
)
def test_a_bad_cost_is_refused_with_its_place(api, cost, message):
    answer = api.post("/api/v1/orders/", OrderPayloadFactory(items=_items(cost=cost)), format="json")

    assert answer.status_code == 400
    assert message in str(answer.json()["items"])
    assert not Order.objects.exists()
