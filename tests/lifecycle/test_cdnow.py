"""Stages on a real purchase history: the CDNOW music shop's purchases (1997-1998, from the Lifetimes
package, downloaded by `make test`) replayed through orders.services and `tick --now`, against the
contract's stage rules computed here independently from the raw lines."""

import io
import zipfile
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count

from customers.models import Customer
from lifecycle.models import Event
from orders import services

WHEEL = Path(__file__).resolve().parents[2] / "var" / "datasets" / "Lifetimes-0.11.3-py3-none-any.whl"
# Early in the cohort (new buyers, first returns) and a year on (dormant and lost ones).
AS_OF_DATES = [datetime(1997, 4, 20, 12, 0, tzinfo=UTC), datetime(1998, 3, 1, 12, 0, tzinfo=UTC)]
# The first customers of the file: enough for every stage, quick enough for every test run.
CUSTOMERS = 250

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not WHEEL.exists(), reason=f"{WHEEL.name} is absent: run `make test`, which downloads it"
    ),
]


def purchases(as_of: datetime) -> list[tuple[str, date, int, Decimal]]:
    """(customer, day, CDs, dollars) for the first CUSTOMERS customers, up to `as_of`."""
    with zipfile.ZipFile(WHEEL) as wheel:
        text = wheel.read("lifetimes/datasets/CDNOW_master.txt").decode()
    rows = []
    for line in io.StringIO(text):
        parts = line.split()
        if len(parts) != 4 or not parts[0].isdigit():
            continue  # the header
        customer, day, cds, dollars = parts
        if int(customer) > CUSTOMERS:
            break
        placed = date(int(day[:4]), int(day[4:6]), int(day[6:]))
        if placed <= as_of.date():
            rows.append((customer, placed, int(cds), Decimal(dollars)))
    return rows


def expected_stages(rows, as_of: datetime) -> dict[str, int]:
    """The contract's stage rules, from the raw purchases alone."""
    rules = settings.CARECRM
    orders, spent, last = defaultdict(int), defaultdict(Decimal), {}
    for customer, day, _cds, dollars in rows:
        orders[customer] += 1
        spent[customer] += dollars
        last[customer] = max(last.get(customer, day), day)
    counts: dict[str, int] = defaultdict(int)
    for customer in orders:
        idle = as_of - datetime.combine(last[customer], time(12), UTC)
        if idle >= timedelta(days=rules["LOST_AFTER_DAYS"]):
            stage = "lost"
        elif idle >= timedelta(days=rules["DORMANT_AFTER_DAYS"]):
            stage = "dormant"
        elif orders[customer] == 1:
            stage = "new"
        elif orders[customer] >= rules["LOYAL_MIN_ORDERS"] and spent[customer] >= Decimal(
            rules["LOYAL_MIN_SPENT"]
        ):
            stage = "loyal"
        else:
            stage = "active"
        counts[stage] += 1
    return dict(counts)


def test_the_chosen_dates_show_every_buyer_stage():
    seen = set()
    for as_of in AS_OF_DATES:
        seen |= set(expected_stages(purchases(as_of), as_of))
    assert seen == {"new", "active", "loyal", "dormant", "lost"}


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=lambda moment: moment.date().isoformat())
def test_stage_counts_as_of_a_date_match_an_independent_computation(as_of):
    rows = purchases(as_of)
    for number, (customer, day, cds, dollars) in enumerate(rows):
        placed_at = datetime.combine(day, time(12), UTC)
        services.order_upsert(
            data={
                "number": f"CD-{number:06d}",
                "customer": {"email": f"cdnow-{customer}@cdnow.example"},
                "placed_at": placed_at,
                "status": "delivered",
                "delivered_at": placed_at + timedelta(days=3),
                "currency": "USD",
                "total": dollars,
                "items": [{"sku": "CD", "name": f"{cds} CDs", "quantity": 1, "unit_price": dollars}],
            },
            source="cdnow",
            now=placed_at,
        )

    # The store's history lands first; then the day is replayed: events handled as of that day, then aging.
    for _ in range(20):
        out = io.StringIO()
        call_command("tick", now=as_of.isoformat(), stdout=out)
        if "event_sweep: 0 events" in out.getvalue():
            break

    actual = dict(
        Customer.objects.filter(email__startswith="cdnow-")
        .values_list("lifecycle_stage")
        .annotate(n=Count("pk"))
    )
    expected = expected_stages(rows, as_of)
    assert actual == expected
    assert sum(expected.values()) == len({customer for customer, *_ in rows})
    # Every customer's move from prospect was recorded.
    assert Event.objects.filter(kind="stage_changed", customer__email__startswith="cdnow-").count() >= sum(
        expected.values()
    )
