"""The customer's journey: events and the loyalty ledger."""

from decimal import Decimal

from carecrm.privacy import Holder
from lifecycle.models import Event, LoyaltyEntry

# What an event's data may keep after erasure: references and figures the reports count, never text a
# person wrote or an address (subjects, emails and names live in `summary` and the other keys).
KEPT_DATA = {
    "campaign", "step", "delivery", "variant", "ticket", "reference", "order", "order_id", "number",
    "channel", "status", "from", "to", "stage", "previous", "total", "amount", "currency", "points",
    "tier", "rating", "score", "outbound", "kind", "minutes", "coupon",
}  # fmt: skip


def export(customer_id: int) -> dict:
    return {
        "events": list(
            Event.objects.filter(customer_id=customer_id)
            .order_by("occurred_at", "id")
            .values("kind", "occurred_at", "recorded_at", "summary", "data")
        ),
        "loyalty": list(
            LoyaltyEntry.objects.filter(customer_id=customer_id)
            .order_by("pk")
            .values("reason", "points", "note", "occurred_at")
        ),
    }


def _kept(data: dict) -> dict:
    """The data's plain references and figures; lists, nested objects and anything like an address go."""
    return {
        key: value
        for key, value in data.items()
        if key in KEPT_DATA
        and (value is None or isinstance(value, (bool, int, float, Decimal, str)))
        and not (isinstance(value, str) and "@" in value)
    }


def erase(customer_id: int) -> dict:
    events = 0
    for event in Event.objects.filter(customer_id=customer_id).only("pk", "data").iterator(chunk_size=2000):
        Event.objects.filter(pk=event.pk).update(summary="", data=_kept(event.data or {}))
        events += 1
    entries = LoyaltyEntry.objects.filter(customer_id=customer_id).update(note="")
    return {"events": events, "loyalty_entries": entries}


HOLDER = Holder(
    name="lifecycle",
    export=export,
    erase=erase,
    models=("lifecycle.event", "lifecycle.loyaltyentry"),
    order=20,
)
