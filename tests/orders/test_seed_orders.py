"""seed_demo's orders: two years of orders for the demo customers, built through orders.services so the
events, the customer stats, the alerts and the stages are what the live system would have made of them."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db.models import Count, Q

from carecrm import demo
from customers.models import Customer
from lifecycle import demo as lifecycle_demo
from lifecycle.models import Event
from lifecycle.services import stage_for
from orders import carriers
from orders import demo as orders_demo
from orders.models import Order, OrderAlert, Payment, Refund, Return, Shipment, TrackingEvent
from tests.factories import no_progress

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def seed(customers: int) -> str:
    options = demo.Options(customers=customers, seed=1)
    lifecycle_demo.customers_seed(options=options, progress=no_progress, now=NOW)
    return orders_demo.orders_seed(options=options, progress=no_progress, now=NOW)


def test_the_orders_seeder_runs_after_the_customers():
    names = [seeder.name for seeder in demo.all_seeders()]
    assert names.index("customers") < names.index("orders")


# 80 customers is about the fewest whose orders show every case asserted below (an exception, a partial
# shipment, a late delivery, returns in several states): a few seconds on SQLite, more on PostgreSQL.
@pytest.mark.slow
def test_demo_orders_tell_a_shops_two_years_through_the_services():
    # given demo customers, when their orders are seeded
    said = seed(80)

    orders = list(Order.objects.prefetch_related("items", "payments", "refunds"))
    customers = list(Customer.objects.all())

    # then most, not all, customers bought, some of them again, both prepaid and cash on delivery
    buyers = {order.customer_id for order in orders}
    assert 0.45 < len(buyers) / len(customers) < 0.75
    assert any(count > 1 for count in Counter(order.customer_id for order in orders).values())
    assert {order.payment_method for order in orders} == {"prepaid", "cod"}
    assert {order.currency for order in orders} == {settings.CARECRM["CURRENCY"]}
    assert all(NOW - timedelta(days=731) <= order.placed_at <= NOW for order in orders)
    by_customer = {customer.pk: customer for customer in customers}
    assert all(order.placed_at >= by_customer[order.customer_id].registered_at for order in orders)
    # the items come from one catalogue, with categories, and add up to the total with the shipping fee
    catalogue = {sku: (category, Decimal(price)) for sku, _, category, price, _ in orders_demo._CATALOGUE}
    for order in orders:
        subtotal = sum(item.unit_price * item.quantity for item in order.items.all())
        assert order.total - subtotal in (Decimal(0), Decimal("4.90"))
        assert all((item.category, item.unit_price) == catalogue[item.sku] for item in order.items.all())
    assert f"{len(orders)} orders" in said

    # and each order has its event, and each customer's summary columns and stage agree with the orders
    placed = Counter(Event.objects.filter(kind="order_placed").values_list("data__order", flat=True))
    assert placed == Counter(order.pk for order in orders)
    for customer in customers:
        kept = [o for o in orders if o.customer_id == customer.pk and o.status != Order.Status.CANCELLED]
        assert customer.orders_count == len(kept), customer
        assert customer.total_spent == sum((o.total - o.amount_refunded for o in kept), Decimal(0))
        assert customer.last_order_at == max((o.placed_at for o in kept), default=None)
        assert customer.lifecycle_stage == stage_for(customer, now=NOW), customer
    assert {c.lifecycle_stage for c in customers} == {"prospect", "new", "active", "loyal", "dormant", "lost"}

    # payments: captured, some declined first, one double charge that is flagged
    statuses = Counter(Payment.objects.values_list("status", flat=True))
    assert statuses["captured"] > statuses["failed"] > 0
    assert Payment.objects.filter(status="failed", order__payments__status="captured").exists()
    assert OrderAlert.objects.filter(kind=OrderAlert.Kind.DOUBLE_CHARGE).count() == 1
    for order in orders:
        if order.payment_method == "prepaid" and order.status not in ("pending", "cancelled"):
            assert order.amount_paid >= order.total, order

    # shipments: the registry's carriers with their tracking links, and histories in order
    shipments = list(Shipment.objects.prefetch_related("tracking_events"))
    assert {s.carrier for s in shipments} <= set(carriers.REGISTRY)
    assert len({s.carrier for s in shipments}) >= 4
    assert all(
        carriers.tracking_url(s.carrier, s.tracking_number) for s in shipments if s.carrier != "own_fleet"
    )
    for shipment in shipments:
        scans = [event.status for event in shipment.tracking_events.all()]
        assert scans[0] == "label_created"
        if "delivered" in scans:
            assert scans.index("in_transit") < scans.index("out_for_delivery") < scans.index("delivered")
    assert TrackingEvent.objects.filter(status="exception").exists()
    assert Shipment.objects.values("order").annotate(n=Count("id")).filter(n__gt=1).exists()  # partial

    # deliveries: mostly on time, a few late against the promise, some still on the way
    delivered = [o for o in orders if o.delivered_at]
    late = [o for o in delivered if o.on_time is False]
    assert 0 < len(late) < len(delivered) / 3
    assert any(o.status == Order.Status.SHIPPED for o in orders)

    # cancellations refunded, and returns in different states
    cancelled = [o for o in orders if o.status == Order.Status.CANCELLED]
    assert cancelled
    assert Refund.objects.filter(order__status="cancelled", completed_at__isnull=False).exists()
    assert (
        Event.objects.filter(kind="refund_issued").count()
        == Refund.objects.filter(completed_at__isnull=False).count()
    )
    assert len(set(Return.objects.values_list("status", flat=True))) >= 2
    assert Event.objects.filter(kind="return_requested").count() == Return.objects.count()


def test_a_second_run_adds_no_orders():
    # given demo orders seeded once
    seed(40)
    first = list(Order.objects.order_by("number").values_list("number", "customer__external_id", "total"))

    # when the seeder runs again
    said = orders_demo.orders_seed(options=demo.Options(customers=40, seed=1), progress=no_progress, now=NOW)

    # then nothing was added
    assert said.startswith("0 orders")
    assert (
        list(Order.objects.order_by("number").values_list("number", "customer__external_id", "total"))
        == first
    )
    assert Event.objects.filter(kind="order_placed").count() == len(first)
    assert not Order.objects.filter(~Q(external_id__startswith="demo-order-")).exists()
