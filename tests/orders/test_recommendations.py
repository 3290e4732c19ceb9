"""Bought together: the pair table rebuilt from order history, and each customer's suggestions."""

from datetime import UTC, datetime, timedelta

import pytest

from orders import services
from orders.models import ProductPair
from orders.recommendations import product_pairs_rebuild, recommendations_for
from tests.orders.track_factories import order_place

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
N = iter(range(100_000, 200_000))


def bought(email: str, *skus: str):
    items = [
        {"sku": sku, "name": f"Product {sku}", "quantity": 1, "unit_price": "10.00", "category": ""}
        for sku in skus
    ]
    return order_place(number=str(next(N)), email=email, items=items, total=f"{10 * len(skus)}.00")


def test_products_bought_together_are_suggested_to_those_who_lack_them(django_assert_num_queries):
    for n in range(3):
        bought(f"ab{n}@mail.example", "A", "B")
    for n in range(2):
        bought(f"ac{n}@mail.example", "A", "C")
    bought("bc@mail.example", "B", "C")  # once: chance, not a pattern
    cancelled = bought("x@mail.example", "A", "D")
    bought("y@mail.example", "A", "D")
    services.order_transition(order=cancelled, to="cancelled", occurred_at=NOW, source="test")
    only_a = bought("ana@mail.example", "A").customer
    a_and_b = bought("bo@mail.example", "A", "B").customer

    # A-B and A-C, each way round; B-C and A-D were seen once only.
    assert product_pairs_rebuild(now=NOW) == "4 bought-together pairs rebuilt"

    with django_assert_num_queries(2):
        suggestions = recommendations_for(only_a)
    # A+B now in 4 orders (bo's too), A+C in 2; A+D once, the cancelled order not counting.
    assert [(s.sku, s.name, s.score) for s in suggestions] == [("B", "Product B", 4), ("C", "Product C", 2)]
    assert [s.sku for s in recommendations_for(a_and_b)] == ["C"]
    assert ProductPair.objects.filter(sku="A", other_sku="D").count() == 0


def test_the_table_is_rebuilt_once_a_day():
    bought("a@mail.example", "A", "B")
    bought("b@mail.example", "A", "B")

    assert product_pairs_rebuild(now=NOW).endswith("rebuilt")
    assert product_pairs_rebuild(now=NOW + timedelta(hours=2)) == "bought-together pairs are fresh"
    assert product_pairs_rebuild(now=NOW + timedelta(hours=25)).endswith("rebuilt")
