from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncMonth

from customers.models import Customer
from lifecycle.models import Event


def customer_timeline(*, customer: Customer) -> QuerySet[Event]:
    return Event.objects.filter(customer=customer).order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class Transition:
    month: date
    from_stage: str
    to_stage: str
    count: int


def lifecycle_matrix(*, since: datetime, until: datetime) -> dict:
    """Where customers stand now, and how many moved from each stage to each other per month: two
    grouped queries, whatever the number of customers and events, for the console to chart."""
    stages = dict(
        Customer.objects.filter(merged_into__isnull=True)
        .values_list("lifecycle_stage")
        .annotate(count=Count("pk"))
        .order_by()
    )
    moves = (
        Event.objects.filter(kind="stage_changed", occurred_at__gte=since, occurred_at__lt=until)
        .annotate(
            month=TruncMonth("occurred_at"),
            from_stage=KeyTextTransform("from", "data"),
            to_stage=KeyTextTransform("to", "data"),
        )
        .values("month", "from_stage", "to_stage")
        .annotate(count=Count("pk"))
        .order_by("month", "from_stage", "to_stage")
    )
    return {
        "stages": {value: stages.get(value, 0) for value, _label in Customer.Stage.choices},
        "transitions": [
            Transition(
                month=row["month"].date() if isinstance(row["month"], datetime) else row["month"],
                from_stage=row["from_stage"],
                to_stage=row["to_stage"],
                count=row["count"],
            )
            for row in moves
        ],
    }
