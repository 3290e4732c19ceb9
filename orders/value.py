"""What a customer brought and cost, for the pages that show one customer: orders and spend from the
summary columns, refunds, returns and support load from the timeline, and a profitability class."""

from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum

from customers.models import Customer
from lifecycle.models import Event
from orders.models import Order, OrderItem

_LINE = DecimalField(max_digits=20, decimal_places=2)


def customer_value(customer: Customer) -> dict:
    """Two queries: the timeline's counts by kind and the sums over the items of the orders that stand.

    Profit starts from spend, which is net of refunds already. When the store sent a cost for every item
    the customer bought, spend is counted at the margin those items earned (`basis` "margin"); otherwise
    at full revenue ("revenue"). CARECRM_SERVICE_COST_PER_TICKET is taken off for each ticket."""
    rows = (
        Event.objects.filter(
            customer=customer, kind__in=["refund_issued", "return_requested", "ticket_opened"]
        )
        .values("kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {row["kind"]: row["count"] for row in rows}
    line = ExpressionWrapper(F("unit_price") * F("quantity"), output_field=_LINE)
    line_cost = ExpressionWrapper(F("unit_cost") * F("quantity"), output_field=_LINE)
    goods = (
        OrderItem.objects.filter(order__customer=customer)
        .exclude(order__status=Order.Status.CANCELLED)
        .aggregate(
            revenue=Sum(line),
            cost=Sum(line_cost),
            uncosted=Count("pk", filter=Q(unit_cost__isnull=True)),
        )
    )
    margin_rate = None
    if goods["revenue"] and not goods["uncosted"]:
        margin_rate = (goods["revenue"] - goods["cost"]) / goods["revenue"]
    tickets = counts.get("ticket_opened", 0)
    service_cost = Decimal(settings.CARECRM["SERVICE_COST_PER_TICKET"]) * tickets
    earned = customer.total_spent if margin_rate is None else customer.total_spent * margin_rate
    net = (earned - service_cost).quantize(Decimal("0.01"))
    return {
        "orders": customer.orders_count,
        "spent": customer.total_spent,
        "average_order_value": customer.average_order_value,
        "refunds": counts.get("refund_issued", 0),
        "returns": counts.get("return_requested", 0),
        "tickets": tickets,
        "service_cost": service_cost,
        "basis": "revenue" if margin_rate is None else "margin",
        "margin_rate": margin_rate,
        "net": net,
        "profitable": net > 0,
    }
