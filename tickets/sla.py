"""SLA clocks on business hours: each ticket's first-response and resolution due times come from the
policy of its priority, counted on that policy's calendar. While a ticket waits on the customer the
clocks stand still; when the customer answers, the due times move on by the business time that was
left. `sla_check` (a tick job) records a warning before a target and a breach at it, once each."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from tickets.calendar import Hours, business_add, business_minutes_between, parse_weekly
from tickets.models import BusinessCalendar, SlaAlert, SlaPolicy, Ticket

# A target this close is "due soon" in the inbox and the alerts.
WARN_BEFORE = timedelta(hours=1)
OPEN_STATUSES = (Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.ON_HOLD)


def hours_of(calendar: BusinessCalendar) -> Hours:
    return Hours(
        time_zone=calendar.time_zone,
        weekly=parse_weekly(calendar.weekly_hours),
        holidays=frozenset(calendar.holidays.values_list("day", flat=True)),
    )


def policy_hours(priority: str) -> tuple[SlaPolicy, Hours] | None:
    policy = SlaPolicy.objects.select_related("calendar").filter(priority=priority).first()
    return (policy, hours_of(policy.calendar)) if policy else None


def sla_targets_set(*, ticket: Ticket, start: datetime) -> None:
    """Due times from `start` (the ticket's creation, or a change of priority) by its priority's policy.
    Sets the fields; the caller saves."""
    found = policy_hours(ticket.priority)
    if found is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        return
    policy, hours = found
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = business_add(hours, start, policy.first_response_minutes)
    ticket.resolution_due_at = business_add(hours, start, policy.resolution_minutes)


def sla_pause(*, ticket: Ticket, now: datetime) -> None:
    if ticket.sla_paused_at is None:
        ticket.sla_paused_at = now


def sla_resume(*, ticket: Ticket, now: datetime) -> None:
    """Move the due times on by the business time the pause took, so the clocks pick up where they
    stopped."""
    if ticket.sla_paused_at is None:
        return
    found = policy_hours(ticket.priority)
    paused_at, ticket.sla_paused_at = ticket.sla_paused_at, None
    if found is None:
        return
    _policy, hours = found
    for name in ("first_response_due_at", "resolution_due_at"):
        due = getattr(ticket, name)
        if due is None or (name == "first_response_due_at" and ticket.first_responded_at):
            continue
        left = business_minutes_between(hours, paused_at, due)
        setattr(ticket, name, business_add(hours, now, left))


def business_minutes(*, ticket: Ticket, start: datetime, end: datetime) -> int:
    found = policy_hours(ticket.priority)
    if found is None:
        return round((end - start).total_seconds() / 60)
    return round(business_minutes_between(found[1], start, end))


def sla_check(*, now: datetime, limit: int = 2000) -> str:
    """Record a warning for each open target due within WARN_BEFORE and a breach for each past due;
    each at most once per ticket, target and stage, however often the job runs."""
    raised = {SlaAlert.Stage.WARNING: 0, SlaAlert.Stage.BREACHED: 0}
    running = Ticket.objects.filter(status__in=OPEN_STATUSES, sla_paused_at__isnull=True)
    targets = [
        (
            SlaAlert.Target.FIRST_RESPONSE,
            "first_response_due_at",
            running.filter(first_responded_at__isnull=True, first_response_due_at__isnull=False),
        ),
        (SlaAlert.Target.RESOLUTION, "resolution_due_at", running.filter(resolution_due_at__isnull=False)),
    ]
    for target, due_field, tickets in targets:
        due_soon = tickets.filter(**{f"{due_field}__lte": now + WARN_BEFORE}).exclude(
            Q(sla_alerts__target=target, sla_alerts__stage=SlaAlert.Stage.BREACHED)
        )
        for ticket_id, due in due_soon.values_list("pk", due_field).order_by(due_field)[:limit]:
            stage = SlaAlert.Stage.BREACHED if due <= now else SlaAlert.Stage.WARNING
            try:
                with transaction.atomic():
                    SlaAlert.objects.create(
                        ticket_id=ticket_id, target=target, stage=stage, due_at=due, raised_at=now
                    )
                raised[stage] += 1
            except IntegrityError:
                pass  # raised by an earlier run
    return f"{raised[SlaAlert.Stage.WARNING]} SLA warnings, {raised[SlaAlert.Stage.BREACHED]} breaches"
