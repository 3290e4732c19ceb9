"""What orders add to segment rules: the product categories a customer bought."""

from django.db.models import Q

from lifecycle.segments import Field
from orders.models import Order, OrderItem


def _categories_bought(op: str, value, now) -> Q:
    buyers = (
        OrderItem.objects.filter(category__in=[v.strip() for v in value])
        .exclude(order__status=Order.Status.CANCELLED)
        .values("order__customer_id")
    )
    return ~Q(pk__in=buyers) if op == "has_none" else Q(pk__in=buyers)


FIELDS = [
    Field(
        "categories_bought", "Product categories bought", "texts", ("has_any", "has_none"), _categories_bought
    ),
]
