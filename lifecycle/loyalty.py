"""Loyalty points through a ledger: earned on an order (per whole unit of its total), taken back when the
order is cancelled, lost for the money refunded. A subscriber to the order events writes each line once
(a unique key per cause), moves the customer's balance with F(), and puts `points_earned` or
`points_lost` on the timeline. Tiers are thresholds on the balance."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum

from customers.models import Customer
from lifecycle.models import Event, LoyaltyEntry
from lifecycle.segments import NUMBER_OPS, Field, compare
from lifecycle.services import event_record

EVENT_KINDS = ["order_placed", "order_cancelled", "refund_issued"]


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: int


def tiers() -> list[Tier]:
    """CARECRM["LOYALTY_TIERS"], lowest first: "Bronze:0,Silver:500,Gold:1500"."""
    parsed = []
    for part in settings.CARECRM["LOYALTY_TIERS"].split(","):
        name, _, threshold = part.strip().partition(":")
        parsed.append(Tier(name.strip(), int(threshold)))
    return sorted(parsed, key=lambda tier: tier.threshold)


def tier_for(points: int) -> Tier:
    reached = [tier for tier in tiers() if points >= tier.threshold]
    return reached[-1] if reached else tiers()[0]


def tier_next(points: int) -> tuple[Tier, int] | None:
    """The next tier and the points still needed, or None at the top."""
    ahead = [tier for tier in tiers() if tier.threshold > points]
    return (ahead[0], ahead[0].threshold - points) if ahead else None


def _points_for(amount: str | None) -> int:
    try:
        value = Decimal(amount or "0")
    except InvalidOperation:
        return 0
    return max(int(value) * settings.CARECRM["LOYALTY_POINTS_PER_UNIT"], 0)


def loyalty_subscriber(event: Event, *, now: datetime) -> LoyaltyEntry | None:
    data = event.data
    order_id = data.get("order")
    if event.kind == "order_placed":
        points, reason, key = _points_for(data.get("total")), LoyaltyEntry.Reason.ORDER, f"order:{order_id}"
        note = f"Order {data.get('number', '')}"
    elif event.kind == "order_cancelled":
        earned = (
            LoyaltyEntry.objects.filter(key=f"order:{order_id}").values_list("points", flat=True).first() or 0
        )
        points, reason, key = -earned, LoyaltyEntry.Reason.CANCELLATION, f"cancellation:{order_id}"
        note = f"Order {data.get('number', '')} cancelled"
    else:  # refund_issued
        earned = (
            LoyaltyEntry.objects.filter(key=f"order:{order_id}").values_list("points", flat=True).first() or 0
        )
        points = -min(_points_for(data.get("amount")), earned)
        reason, key, note = LoyaltyEntry.Reason.REFUND, f"refund:{data.get('refund')}", "Refund"
    if not points:
        return None
    return loyalty_entry_add(
        customer=event.customer,
        points=points,
        reason=reason,
        key=key,
        note=note,
        occurred_at=event.occurred_at,
    )


def loyalty_entry_add(
    *, customer: Customer, points: int, reason: str, key: str, note: str, occurred_at: datetime
) -> LoyaltyEntry | None:
    """Add a ledger line once (None when its key was written already) and move the balance with it."""
    try:
        with transaction.atomic():
            entry = LoyaltyEntry.objects.create(
                customer=customer,
                points=points,
                reason=reason,
                key=key[:100],
                note=note[:200],
                occurred_at=occurred_at,
            )
    except IntegrityError:
        if LoyaltyEntry.objects.filter(key=key[:100]).exists():
            return None
        raise
    Customer.objects.filter(pk=customer.pk).update(loyalty_points=F("loyalty_points") + points)
    event_record(
        customer=customer,
        kind="points_earned" if points > 0 else "points_lost",
        occurred_at=occurred_at,
        summary=f"{points:+d} loyalty points: {note}"[:300],
        data={"points": points, "reason": reason, "entry": entry.pk},
        key=f"loyalty:{entry.pk}",
    )
    return entry


def loyalty_balance_check(customer: Customer) -> bool:
    """Whether the balance column agrees with the ledger (for tests and operators)."""
    total = LoyaltyEntry.objects.filter(customer=customer).aggregate(total=Sum("points"))["total"] or 0
    return Customer.objects.filter(pk=customer.pk, loyalty_points=total).exists()


def loyalty_summary(customer: Customer) -> dict:
    """Points, tier and what the next tier takes, for the pages that show them."""
    points = customer.loyalty_points
    upcoming = tier_next(points)
    return {
        "points": points,
        "tier": tier_for(points).name,
        "next_tier": upcoming[0].name if upcoming else "",
        "points_to_next": upcoming[1] if upcoming else 0,
    }


def _tier_condition(op: str, value, now) -> Q:
    """`loyalty_tier in [Silver]`: balances from the tier's threshold up to the next one's."""
    bounds = tiers()
    condition = Q(pk__in=[])
    for index, tier in enumerate(bounds):
        if tier.name in value:
            upper = bounds[index + 1].threshold if index + 1 < len(bounds) else None
            span = Q(loyalty_points__gte=tier.threshold) if index else Q()
            if upper is not None:
                span &= Q(loyalty_points__lt=upper)
            condition |= span
    return ~condition if op == "not_in" else condition


def segment_fields() -> list[Field]:
    return [
        Field("loyalty_points", "Loyalty points", "number", NUMBER_OPS, compare("loyalty_points")),
        Field(
            "loyalty_tier",
            "Loyalty tier",
            "choices",
            ("in", "not_in"),
            _tier_condition,
            tuple(tier.name for tier in tiers()),
        ),
    ]
