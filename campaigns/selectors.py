"""Results of a campaign per step and variant, in one grouped query over its deliveries."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from campaigns.models import Campaign, Delivery, Enrollment

Status = Delivery.Status


@dataclass(frozen=True)
class StepResult:
    position: int
    step: str
    variant: str
    sent: int
    delivered: int
    opened: int
    clicked: int
    unsubscribed: int
    conversions: int
    revenue: Decimal
    held_out: int
    holdout_conversions: int

    @staticmethod
    def _rate(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    @property
    def open_rate(self) -> float:
        return self._rate(self.opened, self.delivered or self.sent)

    @property
    def click_rate(self) -> float:
        return self._rate(self.clicked, self.delivered or self.sent)

    @property
    def conversion_rate(self) -> float:
        return self._rate(self.conversions, self.sent)

    @property
    def holdout_conversion_rate(self) -> float:
        return self._rate(self.holdout_conversions, self.held_out)

    @property
    def uplift(self) -> float | None:
        """Conversion rate over the holdout's, in points; None without a holdout to compare with."""
        return self.conversion_rate - self.holdout_conversion_rate if self.held_out else None


def campaign_results(campaign: Campaign) -> list[StepResult]:
    sent = Q(sent_at__isnull=False)
    held = Q(status=Status.HELD_OUT)
    converted = Q(converted_order_id__isnull=False)
    rows = (
        Delivery.objects.filter(campaign=campaign)
        .values("step__position", "step__name", "variant__name")
        .annotate(
            sent=Count("pk", filter=sent),
            delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            unsubscribed=Count("pk", filter=Q(unsubscribed_at__isnull=False)),
            conversions=Count("pk", filter=sent & converted),
            revenue=Sum("revenue", filter=sent & converted),
            held_out=Count("pk", filter=held),
            holdout_conversions=Count("pk", filter=held & converted),
        )
        .order_by("step__position", "variant__name")
    )
    return [
        StepResult(
            position=row["step__position"],
            step=row["step__name"],
            variant=row["variant__name"] or "A",
            sent=row["sent"],
            delivered=row["delivered"],
            opened=row["opened"],
            clicked=row["clicked"],
            unsubscribed=row["unsubscribed"],
            conversions=row["conversions"],
            revenue=row["revenue"] or Decimal("0"),
            held_out=row["held_out"],
            holdout_conversions=row["holdout_conversions"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class CampaignTotals:
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal("0")
    held_out: int = 0
    holdout_conversions: int = 0
    active_enrollments: int = 0

    @property
    def open_rate(self) -> float:
        return StepResult._rate(self.opened, self.sent)

    @property
    def conversion_rate(self) -> float:
        return StepResult._rate(self.conversions, self.sent)

    @property
    def click_rate(self) -> float:
        return StepResult._rate(self.clicked, self.sent)

    @property
    def uplift(self) -> float | None:
        """Conversion rate over the holdout's; None without a holdout to compare with."""
        if not self.held_out:
            return None
        return self.conversion_rate - StepResult._rate(self.holdout_conversions, self.held_out)


def campaign_totals(campaign_ids: list[int]) -> dict[int, CampaignTotals]:
    """Headline figures of each campaign for a list of campaigns: one grouped query over deliveries and
    one over active enrollments, however many campaigns."""
    sent = Q(sent_at__isnull=False)
    rows = (
        Delivery.objects.filter(campaign_id__in=campaign_ids)
        .values("campaign_id")
        .annotate(
            sent=Count("pk", filter=sent),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            conversions=Count("pk", filter=sent & Q(converted_order_id__isnull=False)),
            revenue=Sum("revenue", filter=sent & Q(converted_order_id__isnull=False)),
            held_out=Count("pk", filter=Q(status=Status.HELD_OUT)),
            holdout_conversions=Count(
                "pk", filter=Q(status=Status.HELD_OUT, converted_order_id__isnull=False)
            ),
        )
        .order_by()
    )
    active = dict(
        Enrollment.objects.filter(campaign_id__in=campaign_ids, state=Enrollment.State.ACTIVE)
        .values("campaign_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("campaign_id", "count")
    )
    totals = {
        row["campaign_id"]: CampaignTotals(
            sent=row["sent"],
            opened=row["opened"],
            clicked=row["clicked"],
            conversions=row["conversions"],
            revenue=row["revenue"] or Decimal("0"),
            held_out=row["held_out"],
            holdout_conversions=row["holdout_conversions"],
            active_enrollments=active.get(row["campaign_id"], 0),
        )
        for row in rows
    }
    for campaign_id in campaign_ids:
        totals.setdefault(campaign_id, CampaignTotals(active_enrollments=active.get(campaign_id, 0)))
    return totals


def enrollment_counts(campaign: Campaign) -> dict[str, int]:
    rows = campaign.enrollments.values("state").annotate(count=Count("pk")).order_by()
    counts = dict.fromkeys(Enrollment.State.values, 0)
    counts.update({row["state"]: row["count"] for row in rows})
    return counts
