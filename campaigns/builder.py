"""Marketers' edits of campaigns and their steps (the console's builder): validated here, whatever page or
script sends them, so a live campaign is never left in a state its jobs cannot run."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django_celery_beat.models import CrontabSchedule
from django_celery_beat.validators import crontab_validator

from campaigns.models import Campaign, Step
from campaigns.services import campaign_ready_check

CAMPAIGN_FIELDS = (
    "name", "description", "trigger_kind", "trigger_first_order", "trigger_stage", "entry_segment",
    "entry_window_hours", "exit_kinds", "reentry_days", "segment", "send_rate_per_minute",
    "holdout_percent", "conversion_days",
)  # fmt: skip
STEP_FIELDS = (
    "name", "delay_minutes", "purpose", "on_exit", "skip_if_ordered", "condition", "subject", "html", "text",
    "coupon_kind", "coupon_value", "coupon_valid_days",
)  # fmt: skip


def schedule_for(cron: str, *, time_zone: str) -> CrontabSchedule | None:
    """The crontab schedule of five cron fields ("0 9 1 * *": 9:00 on the 1st), shared by every campaign
    that names the same one; None for an empty line."""
    cron = " ".join(cron.split())
    if not cron:
        return None
    try:
        crontab_validator(cron)
        minute, hour, day_of_month, month_of_year, day_of_week = cron.split(" ")
    except (ValidationError, ValueError) as error:
        raise ValidationError(
            {"schedule": "Five cron fields: minute hour day-of-month month day-of-week, e.g. 0 9 1 * *."}
        ) from error
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        day_of_week=day_of_week,
        timezone=time_zone,
    )
    return schedule


def schedule_cron(schedule: CrontabSchedule | None) -> str:
    if schedule is None:
        return ""
    return " ".join(
        [schedule.minute, schedule.hour, schedule.day_of_month, schedule.month_of_year, schedule.day_of_week]
    )


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "campaign"
    taken = set(Campaign.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def campaign_save(*, campaign: Campaign | None, data: dict) -> Campaign:
    """Create a draft campaign (`data["kind"]`: trigger or broadcast) or change one. Its slug (named by
    every message_sent event) and its kind stay as they were born; a broadcast's `data["schedule"]` is a
    cron line in `data["schedule_time_zone"]`; an active campaign must stay ready to run after the change."""
    with transaction.atomic():
        if campaign is None:
            campaign = Campaign(
                kind=data.get("kind") or Campaign.Kind.TRIGGER, slug=_unique_slug(data.get("name", ""))
            )
        else:
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if campaign.status == Campaign.Status.ARCHIVED:
                raise ValidationError("An archived campaign cannot be changed.")
        for name in CAMPAIGN_FIELDS:
            if name in data:
                setattr(campaign, name, data[name])
        if campaign.kind == Campaign.Kind.BROADCAST and "schedule" in data:
            campaign.schedule = schedule_for(
                data["schedule"], time_zone=data.get("schedule_time_zone") or settings.TIME_ZONE
            )
        campaign.full_clean(exclude=["schedule"])
        campaign.save()
        if campaign.status == Campaign.Status.ACTIVE:
            campaign_ready_check(campaign)
    return campaign


def step_save(*, campaign: Campaign, step: Step | None, data: dict) -> Step:
    """Add a step at the end of the campaign or change one. Steps go out in their order, each at its delay
    from the trigger, so a step may not wait less than the one before it."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == Campaign.Status.ARCHIVED:
            raise ValidationError("An archived campaign cannot be changed.")
        if step is None:
            last = campaign.steps.aggregate(last=Max("position"))["last"] or 0
            step = Step(campaign=campaign, position=last + 1)
        else:
            step = Step.objects.get(pk=step.pk, campaign=campaign)
        for name in STEP_FIELDS:
            if name in data:
                setattr(step, name, data[name])
        if not step.coupon_kind:
            step.coupon_value = None
        step.full_clean(exclude=["campaign"])
        _check_order(step)
        step.save()
    return step


def _check_order(step: Step) -> None:
    siblings = step.campaign.steps.exclude(pk=step.pk).filter(on_exit=step.on_exit)
    earlier = siblings.filter(position__lt=step.position, delay_minutes__gt=step.delay_minutes).first()
    later = siblings.filter(position__gt=step.position, delay_minutes__lt=step.delay_minutes).first()
    for other, relation in ((earlier, "before"), (later, "after")):
        if other is not None:
            raise ValidationError(
                {
                    "delay_minutes": f"Step {other.position} ({other.name}) comes {relation} this one "
                    f"and waits {delay_label(other.delay_minutes)}: steps go out in order."
                }
            )


def step_delete(*, step: Step) -> None:
    """Remove a step nothing was recorded for yet; a step with deliveries keeps its results."""
    with transaction.atomic():
        step = Step.objects.select_for_update().get(pk=step.pk)
        if step.deliveries.exists():
            raise ValidationError(
                "Messages of this step were recorded; it stays for the results. Pause or archive the "
                "campaign instead."
            )
        step.delete()


def delay_label(minutes: int) -> str:
    if minutes == 0:
        return "no time"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = ((days, "day"), (hours, "hour"), (minutes, "minute"))
    return " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n)
