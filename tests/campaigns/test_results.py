"""Results per step and variant, with a holdout that receives nothing so uplift is measured."""

from datetime import timedelta

import pytest

from campaigns.models import Campaign, Delivery
from campaigns.selectors import campaign_results
from tests.campaigns.test_playbook import T0, order, playbook, register, tick  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_holdout_gets_nothing_and_conversions_are_counted_on_both_sides(django_assert_num_queries):
    Campaign.objects.filter(slug="welcome").update(holdout_percent=50)
    customers = [register(f"c{n}") for n in range(16)]
    tick(T0 + timedelta(days=2, minutes=1))
    deliveries = {d.customer_id: d for d in Delivery.objects.filter(campaign__slug="welcome")}
    held = [c for c in customers if deliveries[c.pk].status == "held_out"]
    treated = [c for c in customers if deliveries[c.pk].status == "sent"]
    assert held and treated and len(held) + len(treated) == 16

    # two of the treated and one of the held out order within the five days, one treated too late
    for n, customer in enumerate([*treated[:2], held[0]]):
        order(customer, at=T0 + timedelta(days=4), number=f"W-{n}")
    order(treated[2], at=T0 + timedelta(days=9), number="LATE")
    tick(T0 + timedelta(days=9, hours=1))

    # the campaign's deliveries grouped by step and variant
    welcome = Campaign.objects.get(slug="welcome")
    with django_assert_num_queries(1):
        [row] = campaign_results(welcome)

    assert (row.sent, row.held_out) == (len(treated), len(held))
    assert (row.conversions, row.holdout_conversions) == (2, 1)
    assert row.revenue > 0
    assert row.uplift == pytest.approx(2 / len(treated) - 1 / len(held))
