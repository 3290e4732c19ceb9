"""The lifecycle matrix: customers per stage now, and moves between stages per month."""

from datetime import UTC, date, datetime

import pytest

from customers.models import Customer
from lifecycle.selectors import Transition, lifecycle_matrix
from lifecycle.services import event_record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def moved(customer, when, from_stage, to_stage):
    event_record(
        customer=customer,
        kind="stage_changed",
        occurred_at=when,
        summary=f"Stage {from_stage} → {to_stage}",
        data={"from": from_stage, "to": to_stage},
    )


def test_stages_now_and_moves_per_month(django_assert_num_queries):
    a, b, c = (CustomerFactory(email=f"{n}@mail.example") for n in "abc")
    Customer.objects.filter(pk__in=[a.pk, b.pk]).update(lifecycle_stage="active")
    moved(a, datetime(2026, 9, 3, tzinfo=UTC), "prospect", "new")
    moved(b, datetime(2026, 9, 20, tzinfo=UTC), "prospect", "new")
    moved(a, datetime(2026, 10, 5, tzinfo=UTC), "new", "active")
    moved(b, datetime(2026, 10, 6, tzinfo=UTC), "new", "active")
    moved(c, datetime(2026, 8, 1, tzinfo=UTC), "prospect", "new")  # before the window

    # Two grouped queries: stages now, moves per month.
    with django_assert_num_queries(2):
        matrix = lifecycle_matrix(
            since=datetime(2026, 9, 1, tzinfo=UTC), until=datetime(2026, 11, 1, tzinfo=UTC)
        )

    assert matrix["stages"]["active"] == 2 and matrix["stages"]["prospect"] == 1
    assert matrix["transitions"] == [
        Transition(date(2026, 9, 1), "prospect", "new", 2),
        Transition(date(2026, 10, 1), "new", "active", 2),
    ]
