"""Campaigns at work: enrolling customers when their events arrive, recording each due step as a
Delivery, fanning broadcasts out to their segment, redeeming coupons and attributing orders.

Every message is a Delivery row before it is anything else, under a key unique per step and enrollment
(per run and customer for broadcasts), so whatever retries, sweeps or workers run, a step reaches a
customer once. campaigns.sending sends the rows; this module only decides which rows exist and in which
state: queued, skipped (with the reason) or held out.
"""

import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from campaigns.models import BroadcastRun, Campaign, Coupon, Delivery, Enrollment, Step, Suppression
from carecrm import clock, money
from customers.models import Customer
from lifecycle.models import Event
from lifecycle.segments import segment_customers
from lifecycle.services import event_record

logger = logging.getLogger(__name__)
Status = Delivery.Status
# A message counts against the frequency cap from the moment it is recorded to be sent.
CAP_STATUSES = [Status.QUEUED, Status.SENDING, Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED]
FAN_OUT_CHUNK = 2000
# A fan-out records a chunk in seconds; one silent for this long has died and another may resume it.
FAN_OUT_LEASE = timedelta(minutes=2)
COUPON_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: codes are read aloud and typed


# --- Campaign status -------------------------------------------------------------------------------


def campaign_status_set(*, campaign: Campaign, to: str, now: datetime | None = None) -> Campaign:
    """Move a campaign along draft → active ⇄ paused → archived, refusing any other move."""
    now = now or clock.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if to not in Campaign.TRANSITIONS[campaign.status]:
            raise ValidationError(
                {"status": f"{campaign.get_status_display()} campaigns cannot become {to}."}
            )
        if to == Campaign.Status.ACTIVE:
            campaign_ready_check(campaign)
            if campaign.kind == Campaign.Kind.BROADCAST and campaign.last_run_at is None:
                campaign.last_run_at = now  # the first scheduled slot after activation goes out
        campaign.status = to
        campaign.save(update_fields=["status", "last_run_at", "updated_at"])
    return campaign


def campaign_ready_check(campaign: Campaign) -> None:
    steps = list(campaign.steps.all())
    if not steps:
        raise ValidationError({"status": "Add a step before activating the campaign."})
    if campaign.kind == Campaign.Kind.TRIGGER and not campaign.trigger_kind:
        raise ValidationError({"trigger_kind": "Name the event that enrolls customers."})
    if campaign.kind == Campaign.Kind.BROADCAST and campaign.segment_id is None:
        raise ValidationError({"segment": "Choose the segment the broadcast goes to."})
    for step in steps:
        step.full_clean()


# --- Guard rails -----------------------------------------------------------------------------------


def holdout_for(campaign: Campaign, customer_id: int) -> bool:
    """Stable: the same customer is always on the same side for the same campaign."""
    if not campaign.holdout_percent:
        return False
    digest = hashlib.sha256(f"holdout:{campaign.pk}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < campaign.holdout_percent


def quiet_until(now: datetime, time_zone: str) -> datetime:
    """`now`, or the end of the quiet hours when `now` falls inside them in the customer's time zone."""
    spec = settings.CARECRM["CAMPAIGN_QUIET_HOURS"]
    if not spec:
        return now
    start, end = (int(part) for part in spec.split("-"))
    try:
        zone = ZoneInfo(time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(zone)
    quiet = (local.hour >= start or local.hour < end) if start > end else start <= local.hour < end
    if not quiet:
        return now
    wake = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if wake <= local:
        wake += timedelta(days=1)
    return wake.astimezone(now.tzinfo)


def suppressed(emails: list[str]) -> set[str]:
    return set(
        Suppression.objects.filter(email__in=[e.lower() for e in emails if e]).values_list("email", flat=True)
    )


def _recent_marketing(customer_ids: list[int], *, now: datetime) -> dict[int, int]:
    rows = (
        Delivery.objects.filter(
            customer_id__in=customer_ids,
            purpose=Step.Purpose.MARKETING,
            status__in=CAP_STATUSES,
            due_at__gt=now - timedelta(days=7),
        )
        .values("customer_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["customer_id"]: row["count"] for row in rows}


@dataclass(frozen=True)
class Recipient:
    """What the guard rails read of a customer."""

    id: int
    email: str
    marketing_opt_in: bool
    time_zone: str


RECIPIENT_FIELDS = ("id", "email", "marketing_opt_in", "time_zone")


def _verdict(
    *, recipient: Recipient, purpose: str, held_out: bool, blocked: set[str], recent: int
) -> tuple[str, str]:
    """(status, reason) of a message about to be recorded."""
    if held_out:
        return Status.HELD_OUT, "In the campaign's holdout."
    if not recipient.email:
        return Status.SKIPPED, "The customer has no email address."
    if recipient.email.lower() in blocked:
        return Status.SKIPPED, "The address is suppressed (bounce or complaint)."
    if purpose == Step.Purpose.MARKETING:
        if not recipient.marketing_opt_in:
            return Status.SKIPPED, "No marketing consent."
        if recent >= settings.CARECRM["CAMPAIGN_FREQUENCY_CAP"]:
            return Status.SKIPPED, "Frequency cap: enough marketing emails this week."
    return Status.QUEUED, ""


def message_id() -> str:
    return f"<campaign.{uuid.uuid4().hex}@{settings.CARECRM['MAIL_DOMAIN']}>"


def coupon_issue(*, customer_id: int, step: Step, delivery: Delivery | None, now: datetime) -> Coupon:
    """The personal coupon of a step's message, once per delivery."""
    return _coupon_create(
        customer_id=customer_id,
        prefix=step.campaign.slug,
        kind=step.coupon_kind,
        value=step.coupon_value,
        valid_days=step.coupon_valid_days,
        delivery=delivery,
        now=now,
    )


def coupon_grant(
    *, customer: Customer, kind: str, value: Decimal, valid_days: int, actor: str, now: datetime
) -> Coupon:
    """A goodwill coupon staff give a customer by hand (an apology, a thank-you), on their timeline."""
    if kind not in Coupon.Kind.values:
        raise ValidationError({"kind": "Fixed amount or percent off."})
    if value is None or value <= 0 or (kind == Coupon.Kind.PERCENT and value > 100):
        raise ValidationError({"value": "A value above 0 (at most 100 for percent off)."})
    if not 1 <= valid_days <= 3650:
        raise ValidationError({"valid_days": "Between 1 and 3650 days."})
    with transaction.atomic():
        coupon = _coupon_create(
            customer_id=customer.pk,
            prefix="thanks",
            kind=kind,
            value=money.to_decimal(value),
            valid_days=valid_days,
            delivery=None,
            now=now,
        )
        event_record(
            customer=customer,
            kind="coupon_issued",
            occurred_at=now,
            summary=f"Coupon {coupon.code} ({coupon.label} off) given by {actor}"[:300],
            data={"coupon": coupon.code, "actor": actor},
        )
    return coupon


def _coupon_create(
    *, customer_id: int, prefix: str, kind: str, value: Decimal, valid_days: int, delivery, now: datetime
) -> Coupon:
    prefix = prefix.upper().replace("-", "")[:8]
    while True:
        code = f"{prefix}-{''.join(secrets.choice(COUPON_ALPHABET) for _ in range(6))}"
        try:
            with transaction.atomic():
                return Coupon.objects.create(
                    code=code,
                    customer_id=customer_id,
                    delivery=delivery,
                    kind=kind,
                    value=value,
                    currency=settings.CARECRM["CURRENCY"],
                    issued_at=now,
                    expires_at=now + timedelta(days=valid_days),
                )
        except IntegrityError:
            if delivery is not None and (issued := Coupon.objects.filter(delivery=delivery).first()):
                return issued  # issued by a concurrent fan-out of the same run
            continue  # a code drawn twice: draw again


# --- Trigger journeys: enrolling and exiting -------------------------------------------------------


def campaign_event_subscriber(event: Event, *, now: datetime) -> None:
    """Every event: end the enrollments it is an exit for, then enroll where it is a trigger."""
    enrollments_exit(event=event, now=now)
    for campaign in Campaign.objects.filter(
        kind=Campaign.Kind.TRIGGER, status=Campaign.Status.ACTIVE, trigger_kind=event.kind
    ).select_related("entry_segment"):
        enroll(campaign=campaign, event=event, now=now)


def enroll(*, campaign: Campaign, event: Event, now: datetime) -> Enrollment | None:
    """Enroll the event's customer when the campaign's entry rules let them in; None otherwise."""
    customer = event.customer
    if event.occurred_at < now - timedelta(hours=campaign.entry_window_hours):
        return None  # older than the entry window when it arrived: a backfill sends nothing
    if campaign.trigger_stage and event.data.get("to") != campaign.trigger_stage:
        return None
    if campaign.trigger_first_order and (
        Event.objects.filter(customer=customer, kind="order_placed", occurred_at__lt=event.occurred_at)
        .exclude(pk=event.pk)
        .exists()
    ):
        return None
    if campaign.entry_segment and not _in_segment(campaign.entry_segment.rule, customer.pk, now=now):
        return None
    last = Enrollment.objects.filter(campaign=campaign, customer=customer).order_by("-enrolled_at").first()
    if last is not None:
        if last.state == Enrollment.State.ACTIVE and last.due_at is not None:
            return None
        if campaign.reentry_days is None or last.enrolled_at > now - timedelta(days=campaign.reentry_days):
            return None
    first = campaign.steps.filter(on_exit=False).order_by("position").first()
    if first is None:
        return None
    try:
        with transaction.atomic():
            # A journey still waiting for its exit (entered long enough ago to enter again) is over.
            Enrollment.objects.filter(
                campaign=campaign, customer=customer, state=Enrollment.State.ACTIVE
            ).update(state=Enrollment.State.COMPLETED, due_at=None, finished_at=now)
            return Enrollment.objects.create(
                campaign=campaign,
                customer=customer,
                event=event,
                held_out=holdout_for(campaign, customer.pk),
                triggered_at=event.occurred_at,
                enrolled_at=now,
                next_position=first.position,
                due_at=event.occurred_at + timedelta(minutes=first.delay_minutes),
            )
    except IntegrityError:
        return None  # enrolled by this event already


def _in_segment(rule: dict, customer_id: int, *, now: datetime) -> bool:
    return segment_customers(rule, now=now).filter(pk=customer_id).exists()


def enrollments_exit(*, event: Event, now: datetime) -> int:
    """End the customer's running enrollments for which this event is an exit; an exit step (on_exit)
    is then due at its delay from the event."""
    exited = 0
    running = Enrollment.objects.select_related("campaign").filter(
        customer_id=event.customer_id, state=Enrollment.State.ACTIVE, triggered_at__lte=event.occurred_at
    )
    for enrollment in running:
        if event.kind in enrollment.campaign.exit_kinds and event.pk != enrollment.event_id:
            exited += _exit(enrollment, exit_event=event, now=now)
    return exited


def _exit(enrollment: Enrollment, *, exit_event: Event, now: datetime) -> int:
    on_exit = enrollment.campaign.steps.filter(on_exit=True).order_by("position").first()
    changed = Enrollment.objects.filter(pk=enrollment.pk, state=Enrollment.State.ACTIVE).update(
        state=Enrollment.State.EXITED,
        exit_event=exit_event,
        exit_reason=f"{exit_event.kind} on {exit_event.occurred_at:%Y-%m-%d}",
        finished_at=now,
        next_position=on_exit.position if on_exit else enrollment.next_position,
        due_at=exit_event.occurred_at + timedelta(minutes=on_exit.delay_minutes) if on_exit else None,
    )
    return changed


def _exit_event_for(enrollment: Enrollment) -> Event | None:
    """An exit event that reached CareCRM before the enrollment did (both arrive together in a sync)."""
    kinds = enrollment.campaign.exit_kinds
    if not kinds:
        return None
    return (
        Event.objects.filter(
            customer_id=enrollment.customer_id, kind__in=kinds, occurred_at__gte=enrollment.triggered_at
        )
        .exclude(pk=enrollment.event_id)
        .order_by("occurred_at", "id")
        .first()
    )


# --- Trigger journeys: due steps -------------------------------------------------------------------


def steps_due(*, now: datetime, batch: int = 500) -> str:
    """A tick job: record the deliveries of every enrollment whose next step is due, in batches of rows
    locked with SKIP LOCKED, so two workers running it at once share the work instead of doubling it."""
    recorded = skipped = 0
    while True:
        with transaction.atomic():
            enrollments = list(
                Enrollment.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("campaign", "customer")
                .filter(due_at__lte=now, campaign__status=Campaign.Status.ACTIVE)
                .order_by("due_at", "id")[:batch]
            )
            if not enrollments:
                break
            queued_ids = []
            for enrollment in enrollments:
                for delivery in _enrollment_advance(enrollment, now=now):
                    if delivery.status == Status.QUEUED:
                        recorded += 1
                        if delivery.due_at <= now:
                            queued_ids.append(delivery.pk)
                    else:
                        skipped += 1
            deliveries_enqueue_on_commit(queued_ids, now=now)
    return f"{recorded} campaign messages queued, {skipped} skipped or held out"


def _enrollment_advance(enrollment: Enrollment, *, now: datetime) -> list[Delivery]:
    """Record every step of the enrollment that is due by `now`, and move it to its next step."""
    campaign = enrollment.campaign
    steps = {step.position: step for step in campaign.steps.select_related("condition")}
    recorded = []
    if enrollment.state == Enrollment.State.ACTIVE and (exit_event := _exit_event_for(enrollment)):
        _exit(enrollment, exit_event=exit_event, now=now)
        enrollment.refresh_from_db()
    while enrollment.due_at is not None and enrollment.due_at <= now:
        step = steps.get(enrollment.next_position)
        if step is not None:
            recorded.append(_step_record(step, enrollment=enrollment, now=now))
        exiting = enrollment.state == Enrollment.State.EXITED
        following = [
            later
            for position, later in sorted(steps.items())
            if position > enrollment.next_position and later.on_exit == exiting
        ]
        if following:
            base = enrollment.exit_event.occurred_at if exiting else enrollment.triggered_at
            enrollment.next_position = following[0].position
            enrollment.due_at = base + timedelta(minutes=following[0].delay_minutes)
        else:
            enrollment.due_at = None
            # With an exit step to come (win-back's welcome-back), the journey waits for its exit event.
            if not exiting and not any(later.on_exit for later in steps.values()):
                enrollment.state = Enrollment.State.COMPLETED
                enrollment.finished_at = now
    enrollment.save(update_fields=["next_position", "due_at", "state", "finished_at"])
    return recorded


def _step_record(step: Step, *, enrollment: Enrollment, now: datetime) -> Delivery:
    customer = enrollment.customer
    recipient = Recipient(*(getattr(customer, name) for name in RECIPIENT_FIELDS))
    status, reason = _verdict(
        recipient=recipient,
        purpose=step.purpose,
        held_out=enrollment.held_out,
        blocked=suppressed([customer.email]),
        recent=_recent_marketing([customer.pk], now=now).get(customer.pk, 0),
    )
    if (
        status == Status.QUEUED
        and step.skip_if_ordered
        and (customer.last_order_at and customer.last_order_at > enrollment.triggered_at)
    ):
        status, reason = Status.SKIPPED, "The customer has ordered since the trigger."
    if (
        status == Status.QUEUED
        and step.condition
        and not _in_segment(step.condition.rule, customer.pk, now=now)
    ):
        status, reason = Status.SKIPPED, f"Not in the step's segment {step.condition.name}."
    due_at = now
    if status == Status.QUEUED and step.purpose == Step.Purpose.MARKETING:
        due_at = quiet_until(now, customer.time_zone)
    delivery, created = Delivery.objects.get_or_create(
        key=f"step:{step.pk}:enrollment:{enrollment.pk}",
        defaults={
            "campaign_id": step.campaign_id,
            "step": step,
            "variant": variant_for(step, customer.pk, variants=list(step.variants.all())),
            "enrollment": enrollment,
            "customer": customer,
            "purpose": step.purpose,
            "status": status,
            "reason": reason,
            "to": customer.email,
            "message_id": message_id(),
            "due_at": due_at,
            "created_at": now,
        },
    )
    if created and status == Status.QUEUED and step.coupon_kind:
        coupon_issue(customer_id=customer.pk, step=step, delivery=delivery, now=now)
    return delivery


def variant_for(step: Step, customer_id: int, *, variants: list):
    """The step itself ("A") or one of `variants` (the step's, read once by the caller), evenly, by a
    hash of step and customer."""
    if not variants:
        return None
    digest = hashlib.sha256(f"variant:{step.pk}:{customer_id}".encode()).digest()
    pick = int.from_bytes(digest[:4], "big") % (len(variants) + 1)
    return variants[pick - 1] if pick else None


def deliveries_enqueue_on_commit(delivery_ids: list[int], *, now: datetime) -> None:
    if delivery_ids:
        transaction.on_commit(partial(_deliveries_enqueue, list(delivery_ids), now))


def _deliveries_enqueue(delivery_ids: list[int], now: datetime) -> None:
    from campaigns.tasks import deliveries_send_task  # the task module imports this one

    size = settings.CARECRM["CAMPAIGN_SEND_BATCH"]
    for start in range(0, len(delivery_ids), size):
        chunk = delivery_ids[start : start + size]
        try:
            deliveries_send_task.delay(chunk)
        except Exception:
            # The rows are committed and queued: the deliveries job sends them once the broker is back.
            logger.warning(
                "Broker unreachable; %d campaign messages left for the sweep", len(chunk), exc_info=True
            )
            return
        Delivery.objects.filter(pk__in=chunk, status=Status.QUEUED).update(enqueued_at=now)


# --- Broadcasts ------------------------------------------------------------------------------------


def next_slot(schedule, after: datetime) -> datetime:
    """The first minute after `after` that the crontab schedule (django-celery-beat) names, in the
    schedule's time zone."""
    cron = schedule.schedule  # celery's crontab, with each field expanded to a set of numbers
    zone = ZoneInfo(str(schedule.timezone))
    moment = after.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(366 * 5):
        day_matches = (
            moment.month in cron.month_of_year
            and moment.day in cron.day_of_month
            and (moment.isoweekday() % 7) in cron.day_of_week
        )
        if day_matches:
            for hour in sorted(h for h in cron.hour if h >= moment.hour):
                minutes = sorted(m for m in cron.minute if hour > moment.hour or m >= moment.minute)
                if minutes:
                    return moment.replace(hour=hour, minute=minutes[0]).astimezone(after.tzinfo)
        moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
    raise ValidationError({"schedule": "This schedule names no moment in the next five years."})


def broadcasts_due(*, now: datetime) -> str:
    """A tick job: start each active broadcast whose scheduled slot has come (one run for the latest
    slot when several were missed), and go on fanning out runs that a crash interrupted."""
    started = []
    for campaign in Campaign.objects.filter(
        kind=Campaign.Kind.BROADCAST, status=Campaign.Status.ACTIVE, schedule__isnull=False
    ).select_related("schedule", "segment"):
        slot = None
        candidate = next_slot(campaign.schedule, campaign.last_run_at or now)
        while candidate <= now:
            slot, candidate = candidate, next_slot(campaign.schedule, candidate)
        if slot is not None:
            broadcast_start(campaign=campaign, scheduled_for=slot, now=now)
            started.append(campaign.slug)
    # Runs whose fan-out task was lost or interrupted, and the ones just started when the broker is down;
    # broadcast_fan_out leaves alone a run whose fan-out is still at work.
    for run_id in BroadcastRun.objects.filter(fanned_out_at__isnull=True).values_list("pk", flat=True):
        broadcast_fan_out(run_id=run_id, now=now)
    return f"{len(started)} broadcasts started" + (f" ({', '.join(started)})" if started else "")


def broadcast_start(*, campaign: Campaign, scheduled_for: datetime, now: datetime) -> BroadcastRun:
    """Create the run of a slot (once: a second start of the same slot finds it) and queue its fan-out."""
    with transaction.atomic():
        run, created = BroadcastRun.objects.get_or_create(
            campaign=campaign, scheduled_for=scheduled_for, defaults={"started_at": now}
        )
        Campaign.objects.filter(pk=campaign.pk).update(last_run_at=scheduled_for)
        if created:
            transaction.on_commit(partial(_fan_out_enqueue, run.pk))
    return run


def _fan_out_enqueue(run_id: int) -> None:
    from campaigns.tasks import broadcast_fan_out_task

    try:
        broadcast_fan_out_task.delay(run_id)
    except Exception:
        logger.warning("Broker unreachable; broadcast run %s left for the tick", run_id, exc_info=True)


def broadcast_fan_out(*, run_id: int, now: datetime) -> int:
    """Record a delivery for every customer of the segment, a chunk of customers per transaction, in
    customer id order from where an interrupted fan-out stopped: memory stays flat in the audience size,
    and a chunk recorded twice records nothing more (the key is per run and customer)."""
    # One fan-out per run at a time: the task and a tick's resumption must not both go through the
    # audience (each would publish its own send tasks). A fan-out stamps its beat per chunk; the next
    # may take over only when the beat is older than the lease.
    claimed = (
        BroadcastRun.objects.filter(pk=run_id, fanned_out_at__isnull=True)
        .filter(Q(fan_out_beat_at__isnull=True) | Q(fan_out_beat_at__lt=now - FAN_OUT_LEASE))
        .update(fan_out_beat_at=now)
    )
    if not claimed:
        return 0
    began = time.monotonic()
    run = BroadcastRun.objects.select_related("campaign__segment").get(pk=run_id)
    campaign = run.campaign
    step = campaign.steps.order_by("position").first()
    audience = segment_customers(campaign.segment.rule, now=now).order_by("pk")
    done = (
        Delivery.objects.filter(run=run)
        .order_by("-customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    rate = campaign.send_rate_per_minute
    recorded = Delivery.objects.filter(run=run).count() if done else 0
    while True:
        chunk = list(audience.filter(pk__gt=done or 0).values_list(*RECIPIENT_FIELDS)[:FAN_OUT_CHUNK])
        if not chunk:
            break
        with transaction.atomic():
            recipients = [Recipient(*row) for row in chunk]
            ids = _run_chunk_record(run, step, recipients, first_index=recorded, rate=rate, now=now)
            deliveries_enqueue_on_commit(ids, now=now)
        recorded += len(chunk)
        done = chunk[-1][0]
        beat = now + timedelta(seconds=time.monotonic() - began)
        BroadcastRun.objects.filter(pk=run.pk).update(fan_out_beat_at=beat)
    BroadcastRun.objects.filter(pk=run.pk).update(audience=recorded, fanned_out_at=now)
    return recorded


def _run_chunk_record(
    run: BroadcastRun, step: Step, recipients: list[Recipient], *, first_index: int, rate: int, now: datetime
) -> list[int]:
    campaign = run.campaign
    blocked = suppressed([r.email for r in recipients])
    variants = list(step.variants.all())
    recent = (
        _recent_marketing([r.id for r in recipients], now=now)
        if step.purpose == Step.Purpose.MARKETING
        else {}
    )
    rows = []
    coupons_for = []
    for index, recipient in enumerate(recipients, start=first_index):
        status, reason = _verdict(
            recipient=recipient,
            purpose=step.purpose,
            held_out=holdout_for(campaign, recipient.id),
            blocked=blocked,
            recent=recent.get(recipient.id, 0),
        )
        due_at = now + timedelta(minutes=index // rate) if rate else now
        if status == Status.QUEUED and step.purpose == Step.Purpose.MARKETING:
            due_at = quiet_until(due_at, recipient.time_zone)
        rows.append(
            Delivery(
                campaign=campaign,
                step=step,
                variant=variant_for(step, recipient.id, variants=variants),
                run=run,
                customer_id=recipient.id,
                key=f"run:{run.pk}:customer:{recipient.id}",
                purpose=step.purpose,
                status=status,
                reason=reason,
                to=recipient.email,
                message_id=message_id(),
                due_at=due_at,
                created_at=now,
            )
        )
        if status == Status.QUEUED and step.coupon_kind:
            coupons_for.append(recipient.id)
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    queued = Delivery.objects.filter(
        run=run, customer_id__in=[r.id for r in recipients], status=Status.QUEUED, due_at__lte=now
    )
    ids = list(queued.values_list("pk", flat=True))
    if coupons_for:
        by_customer = dict(
            Delivery.objects.filter(run=run, customer_id__in=coupons_for, coupon__isnull=True).values_list(
                "customer_id", "pk"
            )
        )
        for customer_id, delivery_id in by_customer.items():
            coupon_issue(customer_id=customer_id, step=step, delivery=Delivery(pk=delivery_id), now=now)
    return ids


# --- Orders: coupons and conversions ---------------------------------------------------------------


def order_attribution_subscriber(event: Event, *, now: datetime) -> None:
    """An order placed: redeem the coupons it used, then credit the campaigns whose message (or whose
    holdout) preceded it within their conversion window, the latest message of each campaign."""
    order_id, placed_at = event.data.get("order"), event.occurred_at
    revenue = Decimal(event.data.get("total") or "0")
    credited_by_coupon = set()
    for code in event.data.get("coupons") or []:
        coupon = Coupon.objects.filter(code=str(code).upper(), customer_id=event.customer_id).first()
        if coupon is None or coupon.redeemed_order_id or coupon.expires_at < placed_at:
            continue
        if Coupon.objects.filter(pk=coupon.pk, redeemed_order_id__isnull=True).update(
            redeemed_order_id=order_id, redeemed_at=placed_at
        ):
            event_record(
                customer=event.customer,
                kind="coupon_redeemed",
                occurred_at=placed_at,
                summary=f"Coupon {coupon.code} ({coupon.label}) on order {event.data.get('number', '')}",
                data={"coupon": coupon.code, "order": order_id, "delivery": coupon.delivery_id},
                key=f"coupon_redeemed:{coupon.pk}",
            )
            if coupon.delivery_id:
                credited_by_coupon.add(coupon.delivery_id)
                Delivery.objects.filter(pk=coupon.delivery_id, converted_order_id__isnull=True).update(
                    converted_order_id=order_id, converted_at=placed_at, revenue=revenue
                )
    touched = (
        Delivery.objects.filter(
            customer_id=event.customer_id,
            converted_order_id__isnull=True,
            due_at__lte=placed_at,
            due_at__gte=placed_at - timedelta(days=30),
        )
        .filter(Q(sent_at__isnull=False) | Q(status=Status.HELD_OUT))
        .select_related("campaign")
        .order_by("campaign_id", "-due_at")
    )
    latest = {}
    for delivery in touched:
        if delivery.campaign_id in latest or delivery.pk in credited_by_coupon:
            continue
        if delivery.due_at >= placed_at - timedelta(days=delivery.campaign.conversion_days):
            latest[delivery.campaign_id] = delivery.pk
    if latest:
        Delivery.objects.filter(pk__in=latest.values(), converted_order_id__isnull=True).update(
            converted_order_id=order_id, converted_at=placed_at, revenue=revenue
        )


def broadcast_send_now(*, campaign: Campaign, now: datetime | None = None) -> BroadcastRun:
    """A marketer's "send now" of an active broadcast."""
    now = now or clock.now()
    if campaign.kind != Campaign.Kind.BROADCAST or campaign.status != Campaign.Status.ACTIVE:
        raise ValidationError({"status": "Only an active broadcast can be sent."})
    return broadcast_start(campaign=campaign, scheduled_for=now.replace(second=0, microsecond=0), now=now)
