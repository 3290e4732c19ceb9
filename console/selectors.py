from django.db.models import Count, Q

from customers.models import Customer
from lifecycle.models import Event
from orders.models import OrderAlert


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


def open_alerts(*, limit: int = 200) -> list[OrderAlert]:
    return list(
        OrderAlert.objects.filter(resolved_at__isnull=True)
        .select_related("order__customer")
        .order_by("-urgent", "-detected_at")[:limit]
    )


def open_alert_counts() -> dict[str, int]:
    counts = OrderAlert.objects.filter(resolved_at__isnull=True).aggregate(
        total=Count("id"), urgent=Count("id", filter=Q(urgent=True))
    )
    return {"total": counts["total"], "urgent": counts["urgent"]}
