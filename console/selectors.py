from django.db.models import Count

from customers.models import Customer
from lifecycle.models import Event


def stage_counts() -> list[dict]:
    counts = dict(
        Customer.objects.filter(merged_into__isnull=True)
        .values_list("lifecycle_stage")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        {"stage": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Customer.Stage.choices
    ]


def recent_events(*, limit: int = 20) -> list[Event]:
    return list(Event.objects.select_related("customer").order_by("-occurred_at", "-id")[:limit])
