"""The Event outbox end to end: a web request records an Event, a real Celery worker process hands it to
its subscribers, and a broker outage loses nothing."""

import os
import time

import pytest
from django.db.models import Count

from carecrm.celery import app as celery_app
from carecrm.tasks import run_job, tick
from lifecycle.models import Event, EventHandling
from lifecycle.tasks import event_dispatch_task
from tests.celery_worker import broker_unreachable

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/customers/"


def register_customer(api, external_id: str):
    return api.post(
        URL,
        {
            "external_id": external_id,
            "email": f"{external_id.lower()}@mail.example",
            "registered_at": "2026-11-01T10:00:00Z",
        },
    )


def is_dispatched(event: Event) -> bool:
    return Event.objects.filter(pk=event.pk, dispatched_at__isnull=False).exists()


def handlings_per_subscriber(event: Event) -> dict[str, int]:
    rows = EventHandling.objects.filter(event=event).values("subscriber").annotate(n=Count("id"))
    return {row["subscriber"]: row["n"] for row in rows}


def test_an_event_recorded_in_a_request_reaches_its_subscriber_in_the_worker(api, live_worker):
    # given a worker process consuming the queue this process publishes to
    route = celery_app.amqp.router.route({}, event_dispatch_task.name)
    assert route["queue"].name == live_worker.queue

    # when the store registers a customer
    response = register_customer(api, "W-1")

    # then the request's `registered` Event is handled by the stage subscriber in the worker, once
    assert response.status_code == 201, response.data
    event = Event.objects.get(customer_id=response.data["id"], kind="registered")
    live_worker.wait_until(lambda: is_dispatched(event), what="dispatch of the registered event")
    event.refresh_from_db()
    handling = EventHandling.objects.get(event=event, subscriber="lifecycle.stage")
    assert handling.handled_by == live_worker.process_name
    assert not handling.handled_by.endswith(f":{os.getpid()}")
    assert event.dispatch_attempts == 1
    assert event.dispatch_error == ""


def test_with_the_broker_down_the_event_waits_and_the_sweep_dispatches_it_once(api, live_worker):
    # given a broker this process cannot reach
    with broker_unreachable():
        # when the store registers a customer
        started = time.monotonic()
        response = register_customer(api, "W-2")
        elapsed = time.monotonic() - started

    # then the request succeeds without hanging, and the Event is kept, undispatched
    assert response.status_code == 201, response.data
    assert elapsed < 10
    event = Event.objects.get(customer_id=response.data["id"], kind="registered")
    assert event.dispatched_at is None
    assert event.dispatch_attempts == 0
    assert handlings_per_subscriber(event) == {}

    # when the broker is back and beat's tick reaches the worker
    tick.delay()

    # then the worker's sweep dispatches the Event
    live_worker.wait_until(lambda: is_dispatched(event), what="the sweep's dispatch of the kept event")
    event.refresh_from_db()
    assert EventHandling.objects.get(event=event, subscriber="lifecycle.stage").handled_by == (
        live_worker.process_name
    )

    # when the Event is dispatched again and the sweep runs once more
    redelivered = event_dispatch_task.delay(event.pk)
    swept = run_job.delay("event_sweep")
    live_worker.wait_for_task(redelivered.id)
    sweep_said = live_worker.wait_for_task(swept.id)

    # then no subscriber handled it twice and the Event is as the first dispatch left it
    assert sweep_said.endswith("'0 events dispatched'")
    handlings = handlings_per_subscriber(event)
    assert "lifecycle.stage" in handlings
    assert set(handlings.values()) == {1}
    dispatched_at = event.dispatched_at
    event.refresh_from_db()
    assert event.dispatched_at == dispatched_at
    assert event.dispatch_attempts == 1
