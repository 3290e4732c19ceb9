"""A batch of campaign messages reads its customers' orders, coupons and recommendations in a few
queries for the whole batch, and each message sees exactly what it would see on its own."""

from datetime import timedelta

import pytest

from campaigns.models import Coupon, Delivery, Step
from campaigns.sending import batch_contexts, message_context, unsubscribe_url
from campaigns.services import coupon_issue
from orders.recommendations import product_pairs_rebuild, recommendations_for, recommendations_for_customers
from tests.campaigns.test_playbook import T0, playbook, register, tick  # noqa: F401 (fixture)
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db
NAMES_EVERYTHING = (
    "{{ order.number }} {{ coupon.code }} {% for r in recommendations %}{{ r.name }}{% endfor %}"
)


def item(sku: str) -> dict:
    return {"sku": sku, "name": f"Product {sku}", "quantity": 1, "unit_price": "10.00", "category": "home"}


def shop(customers: int) -> list:
    """Customers who all bought a mug and a tea, then one of three towels: each is suggested the towels
    others bought with their tea."""
    people = [register(f"c{n}") for n in range(customers)]
    for n, customer in enumerate(people):
        OrderFactory(
            customer={"external_id": customer.external_id},
            placed_at=(T0 + timedelta(hours=1)).isoformat(),
            number=f"A-{n}",
            items=[item("MUG"), item("TEA")],
        )
        OrderFactory(
            customer={"external_id": customer.external_id},
            placed_at=(T0 + timedelta(hours=2 + n % 3)).isoformat(),
            number=f"B-{n}",
            items=[item("TEA"), item(f"TOWEL-{n % 3}")],
        )
    product_pairs_rebuild(now=T0 + timedelta(hours=5), force=True)
    Step.objects.update(text=NAMES_EVERYTHING)
    tick(T0 + timedelta(hours=5))  # the orders enroll in first-purchase while they are news
    tick(T0 + timedelta(days=14, minutes=1))  # confirmation and survey (the coupon steps skip: they ordered)
    Step.objects.update(coupon_kind="fixed", coupon_value=5)
    for delivery in Delivery.objects.select_related("step__campaign").order_by("pk")[::2]:
        coupon_issue(customer_id=delivery.customer_id, step=delivery.step, delivery=delivery, now=T0)
    return people


def test_a_batch_sees_what_each_message_sees_on_its_own(django_assert_max_num_queries):
    shop(6)
    batch = list(Delivery.objects.select_related("customer", "step", "variant", "campaign").order_by("pk"))
    assert any(Coupon.objects.filter(delivery=d).exists() for d in batch)

    contexts = batch_contexts(batch)

    for delivery in batch:
        coupon = Coupon.objects.filter(delivery=delivery).first()
        alone = message_context(
            customer=delivery.customer, coupon=coupon, unsubscribe=unsubscribe_url(delivery)
        )
        assert contexts[delivery.pk] == alone
    assert any(context["recommendations"] for context in contexts.values())
    assert all(context["order"]["number"].startswith("B-") for context in contexts.values())


def test_a_batch_reads_a_fixed_number_of_queries(django_assert_num_queries):
    shop(8)
    batch = list(Delivery.objects.select_related("customer", "step", "variant", "campaign").order_by("pk"))
    assert len(batch) == 16

    # coupons; the newest order of each customer; items bought, their pairs, the suggestions' names
    with django_assert_num_queries(5):
        batch_contexts(batch)


def test_recommendations_of_many_customers_are_each_ones_own():
    people = shop(5)
    together = recommendations_for_customers([c.pk for c in people])
    assert together == {c.pk: recommendations_for(c) for c in people}
    assert any(together.values())
