import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q

from carecrm import clock, privacy
from customers import services as customer_services
from customers.models import Customer
from lifecycle import subscribers
from lifecycle.models import Event, EventHandling

logger = logging.getLogger(__name__)
Stage = Customer.Stage


# --- The Event log ----------------------------------------------------------------------------------


def event_record(
    *,
    customer: Customer,
    kind: str,
    occurred_at: datetime,
    summary: str = "",
    data: dict | None = None,
    key: str | None = None,
) -> Event | None:
    """Record an Event in the caller's transaction and hand it to the subscribers once that commits.

    With a `key`, recording is idempotent: the second call with the same key records nothing and
    returns None.
    """
    event = Event(
        customer=customer, kind=kind, occurred_at=occurred_at, summary=summary[:300], data=data or {}, key=key
    )
    if key is None:
        event.save()
    else:
        try:
            with transaction.atomic():
                event.save()
        except IntegrityError:
            if Event.objects.filter(key=key).exists():
                return None
            raise
    together = getattr(_dispatch_together, "event_ids", None)
    if together is not None:
        together.append(event.pk)
    else:
        transaction.on_commit(partial(_events_enqueue, [event.pk]))
    return event


_dispatch_together = threading.local()


@contextmanager
def events_dispatched_together() -> Iterator[None]:
    """Around a bulk write (an import batch, demo data): the events recorded inside are handed to their
    subscribers by one task once the block is over and committed, instead of one task each — a
    100,000-order backfill rings the broker a few hundred times, not 100,000. Events of a rolled-back
    savepoint are in the list too; dispatching an event that does not exist does nothing."""
    if getattr(_dispatch_together, "event_ids", None) is not None:
        yield  # already inside one: the outer block dispatches
        return
    _dispatch_together.event_ids = event_ids = []
    try:
        yield
    finally:
        _dispatch_together.event_ids = None
    if event_ids:
        transaction.on_commit(partial(_events_enqueue, event_ids))


def _events_enqueue(event_ids: list[int]) -> None:
    from lifecycle.tasks import event_dispatch_task, events_dispatch_task  # the task module imports this one

    try:
        if len(event_ids) == 1:
            event_dispatch_task.delay(event_ids[0])
        else:
            events_dispatch_task.delay(event_ids)
    except Exception:
        # The broker is only the doorbell: the Events are committed and the sweep will dispatch them.
        logger.warning("Broker unreachable; %d events left for the sweep", len(event_ids), exc_info=True)


def _process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def event_dispatch(*, event_id: int, now: datetime) -> bool:
    """Hand one Event to each of its subscribers. Returns True once every subscriber has handled it.

    Each subscriber runs in its own transaction together with its EventHandling row: a subscriber that
    fails leaves no trace and is retried by the sweep; one that succeeded is never run again.
    """
    event = Event.objects.select_related("customer").filter(pk=event_id).first()
    if event is None or event.dispatched_at is not None:
        return True
    errors = []
    for subscriber in subscribers.for_kind(event.kind):
        try:
            with transaction.atomic():
                _, created = EventHandling.objects.get_or_create(
                    event=event,
                    subscriber=subscriber.name,
                    defaults={"handled_at": now, "handled_by": _process_name()},
                )
                if created:
                    subscriber.handler(event, now=now)
        except Exception as exc:
            logger.exception("Subscriber %s failed on event %s", subscriber.name, event.pk)
            errors.append(f"{subscriber.name}: {exc!r}")
    updates = {"dispatch_attempts": F("dispatch_attempts") + 1}
    if errors:
        Event.objects.filter(pk=event.pk).update(dispatch_error="\n".join(errors)[:5000], **updates)
        return False
    Event.objects.filter(pk=event.pk, dispatched_at__isnull=True).update(
        dispatched_at=now, dispatch_error="", **updates
    )
    return True


def event_sweep(*, now: datetime, limit: int = 1000) -> str:
    """Dispatch every Event still undispatched (its task was lost, the broker was down, a subscriber
    failed), oldest first, up to `limit` per run."""
    max_attempts = settings.CARECRM["EVENT_MAX_DISPATCH_ATTEMPTS"]
    event_ids = list(
        Event.objects.filter(dispatched_at__isnull=True, dispatch_attempts__lt=max_attempts)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    dispatched = sum(event_dispatch(event_id=event_id, now=now) for event_id in event_ids)
    failed = len(event_ids) - dispatched
    return f"{dispatched} events dispatched" + (
        f", {failed} failed and left for the next sweep" if failed else ""
    )


# --- Customers on their journey ---------------------------------------------------------------------


def customer_upsert(*, data: dict, source: str, now: datetime | None = None) -> tuple[Customer, bool]:
    """Create or update a customer from a store, a form or a channel; a new customer is `registered`."""
    now = now or clock.now()
    with transaction.atomic():
        saved = customer_services.customer_save(data=data, source=source, now=now)
        customer = saved.customer
        if saved.created:
            channel = customer.acquisition_channel or source
            event_record(
                customer=customer,
                kind="registered",
                occurred_at=customer.registered_at,
                summary=f"Registered ({channel})",
                data={"source": source, "acquisition_channel": customer.acquisition_channel},
                key=f"registered:{customer.pk}",
            )
        if saved.consent_now is not None and not (saved.created and not saved.consent_now):
            kind = "subscribed" if saved.consent_now else "unsubscribed"
            verb = "given" if saved.consent_now else "withdrawn"
            event_record(
                customer=customer,
                kind=kind,
                occurred_at=customer.marketing_opt_in_at,
                summary=f"Marketing consent {verb} ({customer.marketing_opt_in_source})",
                data={"source": customer.marketing_opt_in_source},
            )
    return customer, saved.created


def customer_merge(
    *, survivor: Customer, duplicate: Customer, actor: str, now: datetime | None = None
) -> Customer:
    """Fold `duplicate` into `survivor`: its identities, events, orders, tickets and the rest move over,
    and a `customer_merged` event on the survivor says so."""
    now = now or clock.now()
    with transaction.atomic():
        # Lock both in pk order so two merges of the same pair cannot deadlock.
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=[survivor.pk, duplicate.pk])
            .order_by("pk")
        }
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        snapshot = {"id": duplicate.pk, "external_id": duplicate.external_id, "email": duplicate.email}
        duplicate_label = duplicate.email or duplicate.external_id or f"#{duplicate.pk}"
        moved = customer_services.customer_merge_rows(survivor=survivor, duplicate=duplicate)
        event_record(
            customer=survivor,
            kind="customer_merged",
            occurred_at=now,
            summary=f"Merged duplicate customer {duplicate_label}",
            data={"duplicate": snapshot, "moved": moved, "actor": actor},
        )
        customer_stage_refresh(customer=survivor, now=now)
    return survivor


def customer_erase(*, customer: Customer, actor: str, now: datetime | None = None) -> dict:
    """Erase what CareCRM holds about a person, app by app (carecrm.privacy), keeping the orders and
    their money for the books, and say so on the timeline without naming them."""
    now = now or clock.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.merged_into_id:
            raise ValidationError("This customer was merged; erase the one it was merged into.")
        erased = privacy.customer_erase(customer.pk)
        Customer.objects.filter(pk=customer.pk).update(erased_at=now)
        event_record(
            customer=customer,
            kind="customer_erased",
            occurred_at=now,
            summary=f"Personal data erased by {actor}"[:300],
            data={"actor": actor},
        )
    return erased


# --- Lifecycle stages -------------------------------------------------------------------------------


def stage_for(customer: Customer, *, now: datetime) -> str:
    """The stage the customer's summary columns put them in as of `now` (CONTRACT.md, Lifecycle stages)."""
    rules = settings.CARECRM
    if customer.orders_count == 0 or customer.last_order_at is None:
        return Stage.PROSPECT
    idle = now - customer.last_order_at
    if idle >= timedelta(days=rules["LOST_AFTER_DAYS"]):
        return Stage.LOST
    if idle >= timedelta(days=rules["DORMANT_AFTER_DAYS"]):
        return Stage.DORMANT
    if customer.orders_count == 1:
        return Stage.NEW
    if customer.orders_count >= rules["LOYAL_MIN_ORDERS"] and customer.total_spent >= Decimal(
        rules["LOYAL_MIN_SPENT"]
    ):
        return Stage.LOYAL
    return Stage.ACTIVE


def customer_stage_refresh(*, customer: Customer, now: datetime) -> bool:
    """Move the customer to the stage their history puts them in, recording `stage_changed`.
    Returns whether the stage changed. Time-driven changes are stamped with `now`."""
    stage = stage_for(customer, now=now)
    if stage == customer.lifecycle_stage:
        return False
    previous = customer.lifecycle_stage
    # Conditional update: of two concurrent refreshes only the one that still sees the old stage moves it.
    moved = Customer.objects.filter(pk=customer.pk, lifecycle_stage=previous).update(
        lifecycle_stage=stage, stage_changed_at=now
    )
    if not moved:
        return False
    customer.lifecycle_stage, customer.stage_changed_at = stage, now
    event_record(
        customer=customer,
        kind="stage_changed",
        occurred_at=now,
        summary=f"Stage {previous} → {stage}",
        data={"from": previous, "to": stage},
    )
    return True


def stage_subscriber(event: Event, *, now: datetime) -> None:
    customer = Customer.objects.select_for_update().get(pk=event.customer_id)
    customer_stage_refresh(customer=customer, now=now)


def stages_age(*, now: datetime, batch: int = 5000) -> str:
    """Buyers whose last order has grown old become lost (a year, by default) or dormant (90 days),
    set-based: per batch one query picks the customers, one UPDATE per previous stage moves them and one
    bulk INSERT records their `stage_changed` events, so memory stays flat however many customers there
    are. The rows are locked while they move, so a concurrent order's refresh waits or skips them."""
    rules = settings.CARECRM
    dormant_before = now - timedelta(days=rules["DORMANT_AFTER_DAYS"])
    lost_before = now - timedelta(days=rules["LOST_AFTER_DAYS"])
    buying = [Stage.NEW, Stage.ACTIVE, Stage.LOYAL]
    moves = [
        (Stage.LOST, Q(lifecycle_stage__in=[*buying, Stage.DORMANT], last_order_at__lte=lost_before)),
        (Stage.DORMANT, Q(lifecycle_stage__in=buying, last_order_at__lte=dormant_before)),
    ]
    changed = 0
    for to_stage, due in moves:
        while True:
            with transaction.atomic():
                rows = list(
                    Customer.objects.filter(due, merged_into__isnull=True)
                    .select_for_update(skip_locked=True)
                    .order_by("pk")
                    .values_list("pk", "lifecycle_stage")[:batch]
                )
                moved = _stages_move(rows, to_stage=to_stage, now=now)
                changed += moved
            if len(rows) < batch or not moved:
                break
    return f"{changed} customers changed stage"


def _stages_move(rows: list[tuple[int, str]], *, to_stage: str, now: datetime) -> int:
    by_stage: dict[str, list[int]] = {}
    for pk, stage in rows:
        by_stage.setdefault(stage, []).append(pk)
    events = []
    for from_stage, ids in by_stage.items():
        Customer.objects.filter(pk__in=ids).update(lifecycle_stage=to_stage, stage_changed_at=now)
        events += [
            Event(
                customer_id=pk,
                kind="stage_changed",
                occurred_at=now,
                summary=f"Stage {from_stage} → {to_stage}",
                data={"from": from_stage, "to": to_stage},
            )
            for pk in ids
        ]
    if events:
        # Both databases hand back the new rows' ids from a bulk insert.
        event_ids = [event.pk for event in Event.objects.bulk_create(events, batch_size=1000)]
        transaction.on_commit(partial(_events_enqueue, event_ids))
    return len(events)


# --- Service emails ---------------------------------------------------------------------------------


def customer_order_updates_opt_out(*, customer: Customer, now: datetime, source: str = "email_link") -> bool:
    """The customer wants no more service emails about their orders (shipped, delivered, refunds).
    Returns False when they had opted out already, so a second click records nothing."""
    with transaction.atomic():
        # Conditional update: of two clicks at once only one finds the flag still down and records it.
        changed = Customer.objects.filter(pk=customer.pk, order_updates_opt_out=False).update(
            order_updates_opt_out=True
        )
        if not changed:
            return False
        customer.order_updates_opt_out = True
        event_record(
            customer=customer,
            kind="order_updates_opted_out",
            occurred_at=now,
            summary=f"Opted out of order update emails ({source})",
            data={"source": source},
        )
    return True


def customer_unsubscribe(
    *, customer: Customer, occurred_at: datetime, source: str, data: dict | None = None
) -> bool:
    """The customer withdraws marketing consent (an unsubscribe link, a mail client's button, a spam
    complaint). Returns False when they had no consent to withdraw, so a second click records nothing."""
    with transaction.atomic():
        changed = Customer.objects.filter(pk=customer.pk, marketing_opt_in=True).update(
            marketing_opt_in=False, marketing_opt_in_at=occurred_at, marketing_opt_in_source=source[:50]
        )
        if not changed:
            return False
        customer.marketing_opt_in = False
        event_record(
            customer=customer,
            kind="unsubscribed",
            occurred_at=occurred_at,
            summary=f"Marketing consent withdrawn ({source})",
            data={"source": source, **(data or {})},
        )
    return True
