"""The Event outbox within one process: recording, dispatch to subscribers, the sweep and `tick`.
(tests/lifecycle/test_worker.py runs the same path through a real worker process and broker.)"""

import contextlib
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from lifecycle import services, subscribers
from lifecycle.models import Event, EventHandling
from lifecycle.services import event_dispatch, event_record, event_sweep
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)
KIND = "outbox_probe"  # a kind no real subscriber listens to
NAMES = ["test.first", "test.second"]


class Recorder:
    """A subscriber that notes every event it is handed, and fails while `failing` is set."""

    def __init__(self):
        self.handled: list[int] = []
        self.failing = False

    def __call__(self, event: Event, *, now: datetime) -> None:
        if self.failing:
            raise RuntimeError("mail server down")
        self.handled.append(event.pk)


@pytest.fixture
def recorders():
    pair = Recorder(), Recorder()
    for name, recorder in zip(NAMES, pair, strict=True):
        subscribers.register(name, recorder, kinds=[KIND])
    yield pair
    for name in NAMES:
        subscribers.unregister(name)


def record(customer, **kwargs) -> Event | None:
    # Inside the test's transaction the on_commit enqueue never fires: the event is as a lost task left it.
    return event_record(customer=customer, kind=KIND, occurred_at=NOW, **kwargs)


def handlings(event: Event) -> list[str]:
    return sorted(
        EventHandling.objects.filter(event=event, subscriber__in=NAMES).values_list("subscriber", flat=True)
    )


def test_recording_with_a_key_twice_keeps_one_event():
    # given a customer whose event was recorded with a key
    customer = CustomerFactory()
    first = record(customer, key=f"probe:{customer.pk}")

    # when the same key is recorded again
    second = record(customer, key=f"probe:{customer.pk}")

    # then there is still one event and the second call says it recorded nothing
    assert first is not None
    assert second is None
    assert list(Event.objects.filter(customer=customer).values_list("pk", flat=True)) == [first.pk]


def test_dispatching_an_event_twice_runs_each_subscriber_once(recorders):
    # given an undispatched event with two subscribers
    event = record(CustomerFactory())

    # when it is dispatched twice, as a task delivered twice would
    results = [event_dispatch(event_id=event.pk, now=NOW) for _ in range(2)]

    # then each subscriber ran once and the event is marked dispatched by the first run
    assert results == [True, True]
    assert [recorder.handled for recorder in recorders] == [[event.pk], [event.pk]]
    assert handlings(event) == NAMES
    event.refresh_from_db()
    assert event.dispatched_at == NOW
    assert event.dispatch_attempts == 1


def test_a_failing_subscriber_leaves_the_event_to_a_later_sweep(recorders):
    # given an event whose second subscriber fails
    first, second = recorders
    second.failing = True
    event = record(CustomerFactory())

    # when the sweep runs
    said = event_sweep(now=NOW)

    # then the event stays undispatched with the error, and only the first subscriber's handling is kept
    assert said == "0 events dispatched, 1 failed and left for the next sweep"
    event.refresh_from_db()
    assert event.dispatched_at is None
    assert event.dispatch_attempts == 1
    assert "test.second" in event.dispatch_error
    assert "mail server down" in event.dispatch_error
    assert handlings(event) == ["test.first"]

    # when the subscriber is fixed and the next sweep runs
    second.failing = False
    later = NOW + timedelta(minutes=1)
    said = event_sweep(now=later)

    # then the event is dispatched, the fixed subscriber ran and the first one did not run again
    assert said == "1 events dispatched"
    event.refresh_from_db()
    assert event.dispatched_at == later
    assert event.dispatch_attempts == 2
    assert event.dispatch_error == ""
    assert first.handled == [event.pk]
    assert second.handled == [event.pk]
    assert handlings(event) == NAMES


def test_a_rolled_back_transaction_leaves_no_event_and_enqueues_nothing(django_capture_on_commit_callbacks):
    # given a customer
    customer = CustomerFactory()

    # when a change records an event and then fails
    with (
        django_capture_on_commit_callbacks() as enqueued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record(customer)
        raise RuntimeError("the change failed")

    # then neither the event nor its dispatch survives
    assert not Event.objects.filter(customer=customer).exists()
    assert enqueued == []


def test_tick_runs_the_sweep_as_of_its_now_and_says_what_it_did(recorders):
    # given an event whose dispatch task never ran
    event = record(CustomerFactory())
    out = StringIO()

    # when an operator runs tick for a given moment
    call_command("tick", "--now", "2026-01-01T00:00:00Z", stdout=out)

    # then the sweep dispatched the event as of that moment, and tick said so
    said = out.getvalue().splitlines()
    assert said[0] == "tick as of 2026-01-01T00:00:00+00:00"
    assert "  event_sweep: 1 events dispatched" in said
    event.refresh_from_db()
    assert event.dispatched_at == NOW
    assert recorders[0].handled == [event.pk]
    assert EventHandling.objects.get(event=event, subscriber="test.first").handled_at == NOW


def test_tick_refuses_a_now_that_is_not_a_moment(recorders):
    # given an undispatched event
    event = record(CustomerFactory())

    # when tick is given something that is not an ISO-8601 moment
    with pytest.raises(CommandError, match="--now must be an ISO-8601 moment"):
        call_command("tick", "--now", "next tuesday", stdout=StringIO())

    # then no job ran
    event.refresh_from_db()
    assert event.dispatched_at is None
    assert recorders[0].handled == []


@pytest.mark.django_db(transaction=True)
def test_events_of_a_bulk_write_ring_the_broker_once(monkeypatch):
    # given a bulk write of three customers, one of whose savepoints rolls back
    from lifecycle import tasks

    single, many = [], []
    monkeypatch.setattr(tasks.event_dispatch_task, "delay", single.append)
    monkeypatch.setattr(tasks.events_dispatch_task, "delay", many.append)
    with services.events_dispatched_together(), transaction.atomic():
        services.customer_upsert(data={"external_id": "B1", "email": "b1@shop.example"}, source="import")
        with contextlib.suppress(RuntimeError), transaction.atomic():
            services.customer_upsert(data={"external_id": "B2", "email": "b2@shop.example"}, source="import")
            raise RuntimeError("refused")
        services.customer_upsert(data={"external_id": "B3", "email": "b3@shop.example"}, source="import")
    # then one task carries every event recorded, and dispatching it handles the ones that exist
    assert single == []
    [event_ids] = many
    assert len(event_ids) == 3
    assert tasks.events_dispatch_task(event_ids) == 3
    assert Event.objects.filter(dispatched_at__isnull=False).count() == 2
    # and outside such a block each event rings on its own again
    services.customer_upsert(data={"external_id": "B4", "email": "b4@shop.example"}, source="api")
    assert len(single) == 1
