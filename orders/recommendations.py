"""Recommendations from order history: products bought together. A periodic job rebuilds the pair
table in one set-based statement; a customer's suggestions are the products most often bought with
what they bought, which they have not bought yet."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max, Sum

from customers.models import Customer
from orders.models import OrderItem, ProductPair

# The pairs are rebuilt at most this often: history moves slowly and the statement reads every item.
REBUILD_EVERY = timedelta(hours=24)
# A pair seen in fewer orders than this is chance, not a pattern.
MIN_ORDERS = 2

_REBUILD = """
INSERT INTO orders_productpair (sku, other_sku, orders, computed_at)
SELECT a.sku, b.sku, COUNT(DISTINCT a.order_id), %s
FROM orders_orderitem a
JOIN orders_orderitem b ON b.order_id = a.order_id AND b.sku <> a.sku
JOIN orders_order o ON o.id = a.order_id
WHERE o.status <> 'cancelled'
GROUP BY a.sku, b.sku
HAVING COUNT(DISTINCT a.order_id) >= %s
"""


def product_pairs_rebuild(*, now: datetime, force: bool = False) -> str:
    """A tick job: rebuild the bought-together table when it is a day old (or `force`)."""
    last = ProductPair.objects.aggregate(last=Max("computed_at"))["last"]
    if not force and last is not None and now - last < REBUILD_EVERY:
        return "bought-together pairs are fresh"
    with transaction.atomic():
        ProductPair.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(_REBUILD, [now, MIN_ORDERS])
    return f"{ProductPair.objects.count()} bought-together pairs rebuilt"


@dataclass(frozen=True)
class Suggestion:
    sku: str
    name: str
    score: int


def recommendations_for(customer: Customer, *, limit: int = 3) -> list[Suggestion]:
    """Up to `limit` products most often bought with what the customer bought, not bought yet: two
    queries whatever the history."""
    bought = OrderItem.objects.filter(order__customer=customer).values("sku")
    ranked = list(
        ProductPair.objects.filter(sku__in=bought)
        .exclude(other_sku__in=bought)
        .values("other_sku")
        .annotate(score=Sum("orders"))
        .order_by("-score", "other_sku")[:limit]
    )
    if not ranked:
        return []
    # Each product under the name it was last sold with.
    latest = (
        OrderItem.objects.filter(sku__in=[row["other_sku"] for row in ranked])
        .values("sku")
        .annotate(latest=Max("pk"))
        .values("latest")
    )
    names = dict(OrderItem.objects.filter(pk__in=latest).values_list("sku", "name"))
    return [
        Suggestion(row["other_sku"], names.get(row["other_sku"], row["other_sku"]), row["score"])
        for row in ranked
    ]


def recommendations_for_customers(customer_ids: list[int], *, limit: int = 3) -> dict[int, list[Suggestion]]:
    """recommendations_for of many customers at once (a campaign's batch of messages): three queries for
    the lot instead of two per customer."""
    bought: dict[int, set[str]] = {customer_id: set() for customer_id in customer_ids}
    rows = OrderItem.objects.filter(order__customer_id__in=customer_ids).values_list(
        "order__customer_id", "sku"
    )
    for customer_id, sku in rows.distinct():
        bought[customer_id].add(sku)
    every_sku = set().union(*bought.values()) if bought else set()
    pairs: dict[str, list[tuple[str, int]]] = {}
    for sku, other_sku, orders in ProductPair.objects.filter(sku__in=every_sku).values_list(
        "sku", "other_sku", "orders"
    ):
        pairs.setdefault(sku, []).append((other_sku, orders))
    ranked: dict[int, list[tuple[str, int]]] = {}
    for customer_id, skus in bought.items():
        scores: dict[str, int] = {}
        for sku in skus:
            for other_sku, orders in pairs.get(sku, ()):
                if other_sku not in skus:
                    scores[other_sku] = scores.get(other_sku, 0) + orders
        ranked[customer_id] = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    wanted = {sku for top in ranked.values() for sku, _ in top}
    names = {}
    if wanted:
        latest = (
            OrderItem.objects.filter(sku__in=wanted).values("sku").annotate(latest=Max("pk")).values("latest")
        )
        names = dict(OrderItem.objects.filter(pk__in=latest).values_list("sku", "name"))
    return {
        customer_id: [Suggestion(sku, names.get(sku, sku), score) for sku, score in top]
        for customer_id, top in ranked.items()
    }
