"""The weekly support report: last week against the week before, as a page any time and by email to
the managers every Monday morning (a tick job; the report is a row first, so it goes out once)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Avg, Count, F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from carecrm import roles
from carecrm.links import site_url
from console.dashboards import hours, midnight, percentile, rate
from console.models import WeeklyReport
from tickets.models import CsatRating, Ticket

# Monday morning, once the night's tickets are in.
SEND_AFTER = time(7, 0)


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def support_figures(start: date) -> dict:
    """One week of support, Monday to Monday in the shop's time zone: a few grouped queries."""
    since, until = midnight(start), midnight(start + timedelta(days=7))
    opened = Ticket.objects.filter(created_at__gte=since, created_at__lt=until)
    counts = opened.aggregate(
        opened=Count("pk"),
        first_due=Count(
            "pk", filter=Q(first_response_due_at__isnull=False, first_responded_at__isnull=False)
        ),
        first_in_sla=Count(
            "pk",
            filter=Q(first_response_due_at__isnull=False, first_responded_at__lte=F("first_response_due_at")),
        ),
    )
    first_minutes = list(
        opened.filter(first_response_minutes__isnull=False).values_list("first_response_minutes", flat=True)
    )
    resolved = Ticket.objects.filter(resolved_at__gte=since, resolved_at__lt=until)
    resolution_minutes = list(
        resolved.filter(resolution_minutes__isnull=False).values_list("resolution_minutes", flat=True)
    )
    ratings = CsatRating.objects.filter(created_at__gte=since, created_at__lt=until).aggregate(
        n=Count("pk"), happy=Count("pk", filter=Q(rating__gte=4)), average=Avg("rating")
    )
    backlog = (
        Ticket.objects.filter(created_at__lt=until)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=until))
        .exclude(status=Ticket.Status.CLOSED, resolved_at__isnull=True)
        .count()
    )
    channels = dict(opened.values_list("channel").annotate(n=Count("pk")).order_by())
    return {
        "opened": counts["opened"],
        "resolved": len(resolution_minutes),
        "first_response_median_hours": hours(percentile(first_minutes, 0.5)),
        "first_response_p90_hours": hours(percentile(first_minutes, 0.9)),
        "resolution_median_hours": hours(percentile(resolution_minutes, 0.5)),
        "resolution_p90_hours": hours(percentile(resolution_minutes, 0.9)),
        "first_response_sla_percent": rate(counts["first_in_sla"], counts["first_due"]),
        "csat_percent": rate(ratings["happy"], ratings["n"]),
        "csat_ratings": ratings["n"],
        "backlog_at_end": backlog,
        "channels": {value: channels.get(value, 0) for value in Ticket.Channel.values},
    }


@dataclass(frozen=True)
class Line:
    label: str
    this_week: float | int | None
    previous_week: float | int | None
    better_when: str  # "higher" or "lower": how the change reads

    @property
    def change(self) -> float | None:
        if self.this_week is None or self.previous_week is None:
            return None
        return round(self.this_week - self.previous_week, 1)

    @property
    def verdict(self) -> str:
        if not self.change:
            return ""
        improved = (self.change > 0) == (self.better_when == "higher")
        return "better" if improved else "worse"


LINES = [
    ("Tickets opened", "opened", "lower"),
    ("Tickets resolved", "resolved", "higher"),
    ("First response, median (business hours)", "first_response_median_hours", "lower"),
    ("First response, p90 (business hours)", "first_response_p90_hours", "lower"),
    ("Resolution, median (business hours)", "resolution_median_hours", "lower"),
    ("Resolution, p90 (business hours)", "resolution_p90_hours", "lower"),
    ("First response within SLA (%)", "first_response_sla_percent", "higher"),
    ("Satisfied customers (%)", "csat_percent", "higher"),
    ("Open at the end of the week", "backlog_at_end", "lower"),
]


def weekly_report(start: date) -> dict:
    this_week, previous = support_figures(start), support_figures(start - timedelta(days=7))
    lines = [Line(label, this_week[key], previous[key], better) for label, key, better in LINES]
    channels = [
        Line(label, this_week["channels"][value], previous["channels"][value], "lower")
        for value, label in Ticket.Channel.choices
    ]
    return {
        "start": start,
        "end": start + timedelta(days=6),
        "lines": lines,
        "channels": channels,
        "figures": this_week,
    }


def _managers() -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[roles.MANAGER, roles.ADMIN])
        .exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def weekly_report_send(*, start: date, now: datetime) -> WeeklyReport | None:
    """Record the report of the week starting `start` and mail it to the managers, once: a second call
    for the same week finds it sent and sends nothing."""
    report = weekly_report(start)
    with transaction.atomic():
        row, _ = WeeklyReport.objects.select_for_update().get_or_create(
            week_start=start, defaults={"created_at": now, "figures": report["figures"]}
        )
        if row.sent_at is not None:
            return None
        recipients = _managers()
        if recipients:
            context = {**report, "url": site_url(f"/console/reports/weekly/?week={start.isoformat()}")}
            message = EmailMultiAlternatives(
                subject=f"Support, week of {start:%d %b %Y}",
                body=render_to_string("console/weekly_report.txt", context),
                to=recipients,
            )
            message.attach_alternative(
                render_to_string("console/weekly_report_email.html", context), "text/html"
            )
            message.send()
        row.sent_at, row.recipients = now, recipients
        row.save(update_fields=["sent_at", "recipients"])
    return row


def weekly_report_due(*, now: datetime) -> str:
    """A tick job: from Monday 07:00 (shop time) on, last week's report, if it has not gone out."""
    local = timezone.localtime(now)
    this_monday = week_start_of(local.date())
    if local.weekday() == 0 and local.time() < SEND_AFTER:
        return "weekly report: not yet (Monday 07:00)"
    start = this_monday - timedelta(days=7)
    if WeeklyReport.objects.filter(week_start=start, sent_at__isnull=False).exists():
        return "weekly report: already sent"
    sent = weekly_report_send(start=start, now=now)
    return (
        f"weekly report of {start} sent to {len(sent.recipients)}" if sent else "weekly report: already sent"
    )
