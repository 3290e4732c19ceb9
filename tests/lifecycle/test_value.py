"""Customer value: RFM quintiles among buyers, set-based, and the average order value."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from customers.models import Customer
from lifecycle.value import rfm_score
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def buyer(n: int, *, days_ago: int, orders: int, spent: str) -> Customer:
    customer = CustomerFactory(email=f"b{n}@mail.example")
    Customer.objects.filter(pk=customer.pk).update(
        orders_count=orders,
        total_spent=Decimal(spent),
        first_order_at=NOW - timedelta(days=400),
        last_order_at=NOW - timedelta(days=days_ago),
    )
    return customer


def test_buyers_get_rfm_quintiles_and_prospects_none():
    # Ten buyers: the i-th ordered i*10 days ago, i+1 times, for (i+1)*50 EUR; and one prospect.
    buyers = [buyer(i, days_ago=(i + 1) * 10, orders=i + 1, spent=f"{(i + 1) * 50}.00") for i in range(10)]
    prospect = CustomerFactory(email="p@mail.example")

    assert rfm_score(now=NOW) == "RFM: 10 customers rescored, 0 cleared"

    scored = {c.pk: c for c in Customer.objects.all()}
    newest, oldest = scored[buyers[0].pk], scored[buyers[9].pk]
    # The most recent buyer is the best on recency and the worst on frequency and spend.
    assert newest.rfm == "511"
    assert oldest.rfm == "155"
    assert [scored[b.pk].rfm_recency for b in buyers] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scored[prospect.pk].rfm == ""
    assert newest.average_order_value == Decimal("50.00")
    assert scored[buyers[3].pk].average_order_value == Decimal("50.00")
    assert scored[prospect.pk].average_order_value is None


def test_a_second_run_changes_nothing_and_a_buyer_whose_orders_went_is_cleared():
    buyers = [buyer(i, days_ago=i + 1, orders=1, spent="10.00") for i in range(5)]
    rfm_score(now=NOW)

    assert rfm_score(now=NOW) == "RFM: 0 customers rescored, 0 cleared"

    Customer.objects.filter(pk=buyers[0].pk).update(orders_count=0, total_spent=0, last_order_at=None)
    assert rfm_score(now=NOW).endswith("1 cleared")
    assert Customer.objects.get(pk=buyers[0].pk).rfm == ""
