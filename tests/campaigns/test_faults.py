"""Exactly once under faults, with real worker processes on the real broker: two workers handed the
same batch, a worker killed (SIGKILL) in the middle of a batch and another started, the broker down
during a tick, Redis restarted (losing what it held) during a tick and during a broadcast. Every due
message reaches the backend once and none is lost."""

import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from campaigns import services
from campaigns.models import Campaign, Delivery, Step
from campaigns.playbook import playbook_install
from campaigns.tasks import deliveries_send_task
from carecrm import clock
from lifecycle.models import Segment
from lifecycle.services import customer_upsert, event_sweep
from tests.campaigns.journal_backend import journal
from tests.celery_worker import (
    WorkerProcess,
    broker_unreachable,
    database_url,
    session_queue,
    worker_env,
)
from tests.factories import CustomerFactory
from tests.outages import RedisServer, redis_server

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
JOURNAL_BACKEND = "tests.campaigns.journal_backend.EmailBackend"
BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def journal_file(tmp_path, settings, monkeypatch):
    path = tmp_path / "journal.txt"
    monkeypatch.setenv("CAMPAIGN_JOURNAL", str(path))
    settings.EMAIL_BACKEND = JOURNAL_BACKEND
    settings.CARECRM = {**settings.CARECRM, "CAMPAIGN_QUIET_HOURS": "", "CAMPAIGN_SEND_BATCH": 20}
    return path


@pytest.fixture
def start_worker(journal_file):
    workers = []

    def start(*, delay: float = 0.0) -> WorkerProcess:
        env = worker_env(
            CARECRM_TEST_EMAIL_BACKEND=JOURNAL_BACKEND,
            CARECRM_CAMPAIGN_QUIET_HOURS="",
            CARECRM_CAMPAIGN_SEND_BATCH="20",
            CAMPAIGN_JOURNAL=str(journal_file),
            CAMPAIGN_JOURNAL_DELAY=str(delay),
        )
        worker = WorkerProcess(queue=session_queue(), env=env)
        worker.wait_ready()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def newsletter(audience: int) -> Campaign:
    for n in range(audience):
        CustomerFactory(email=f"reader{n}@mail.example", marketing_opt_in=True)
    segment = Segment.objects.create(
        name="Readers", rule={"all": [{"field": "marketing_opt_in", "op": "is", "value": True}]}
    )
    campaign = Campaign.objects.create(
        slug="newsletter", name="Newsletter", kind=Campaign.Kind.BROADCAST, segment=segment
    )
    Step.objects.create(
        campaign=campaign,
        position=1,
        name="November",
        subject="News for {{ customer.first_name }}",
        html="<p>Hello {{ customer.first_name }}</p>",
        text="Hello {{ customer.first_name }}",
    )
    return services.campaign_status_set(campaign=campaign, to=Campaign.Status.ACTIVE)


def assert_each_sent_once(campaign: Campaign, audience: int) -> None:
    expected = set(Delivery.objects.filter(campaign=campaign).values_list("message_id", flat=True))
    counts = Counter(journal())
    assert len(expected) == audience
    assert {mid: n for mid, n in counts.items() if n > 1} == {}, "a message reached the backend twice"
    assert set(counts) == expected, "a message was lost"
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"sent"}


def all_sent(campaign: Campaign):
    return lambda: not Delivery.objects.filter(campaign=campaign).exclude(status="sent").exists()


def test_two_workers_handed_the_same_batches_send_each_message_once(start_worker):
    campaign = newsletter(60)
    first, _second = start_worker(), start_worker()
    now = clock.now()
    run = services.broadcast_start(campaign=campaign, scheduled_for=now, now=now)
    services.broadcast_fan_out(run_id=run.pk, now=now)  # queues three batches of twenty
    ids = list(Delivery.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True))

    # the same work handed out twice more while the first tasks run, and beat's tick sending too
    for start in range(0, len(ids), 20):
        deliveries_send_task.delay(ids[start : start + 20])
        deliveries_send_task.delay(ids[start : start + 20])
    call_command("tick", now=(now + timedelta(minutes=2)).isoformat(), stdout=io.StringIO())

    first.wait_until(all_sent(campaign), what="every message sent", timeout=60)
    assert_each_sent_once(campaign, 60)


def test_a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(start_worker):
    campaign = newsletter(40)
    victim = start_worker(delay=0.1)
    now = clock.now()
    run = services.broadcast_start(campaign=campaign, scheduled_for=now, now=now)
    services.broadcast_fan_out(run_id=run.pk, now=now)  # two batches of twenty, one task each

    # when the worker dies by SIGKILL with part of its first batch sent
    victim.wait_until(lambda: len(journal()) >= 5, what="five messages sent", timeout=60)
    os.kill(victim.pid, signal.SIGKILL)
    victim.process.wait()
    stalled = Delivery.objects.filter(campaign=campaign, status="sending").count()
    assert 0 < stalled < 20
    assert 5 <= len(journal()) < 40

    # and another worker starts and takes the batch the dead one never began
    rescuer = start_worker()
    stalled_ids = set(
        Delivery.objects.filter(campaign=campaign, status="sending").values_list("pk", flat=True)
    )
    # (the tick below runs on a clock 15 minutes ahead: the rescuer must be done, or its claim looks stale)
    rescuer.wait_until(
        lambda: (
            Delivery.objects.filter(campaign=campaign)
            .exclude(status="sent")
            .exclude(pk__in=stalled_ids)
            .count()
            == 0
        ),
        what="the second batch sent",
        timeout=60,
    )
    # and beat's tick comes once the dead worker's claim has outlived its lease
    later = now + timedelta(minutes=15)
    said = io.StringIO()
    call_command("tick", now=later.isoformat(), stdout=said)
    call_command("tick", now=(later + timedelta(minutes=2)).isoformat(), stdout=said)

    # then every message went out once: the one in doubt was found in the backend, not sent again
    assert "stalled batches queued again" in said.getvalue()
    assert_each_sent_once(campaign, 40)


def test_the_broker_down_during_a_tick_delays_messages_but_loses_none(journal_file):
    campaign = newsletter(30)
    campaign.schedule = _every_morning()
    campaign.save(update_fields=["schedule"])
    first_slot = services.next_slot(campaign.schedule, campaign.last_run_at)

    # when beat's tick runs while the broker is unreachable
    with broker_unreachable():
        out = io.StringIO()
        call_command("tick", now=(first_slot + timedelta(minutes=1)).isoformat(), stdout=out)
        call_command("tick", now=(first_slot + timedelta(minutes=3)).isoformat(), stdout=out)

    # then the tick itself did the work its tasks could not be asked to do, each message once
    assert "1 broadcasts started" in out.getvalue()
    assert_each_sent_once(campaign, 30)


def _every_morning():
    from django_celery_beat.models import CrontabSchedule

    return CrontabSchedule.objects.create(minute="0", hour="9", timezone="UTC")


# --- Redis restarting: a private redis-server without persistence, killed and started again -----------


@pytest.fixture
def private_redis(tmp_path):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("Redis mode only (REDIS_URL is not set): the embedded filesystem broker has no server")
    with redis_server(tmp_path) as server:
        yield server


@dataclass
class TickProcess:
    """`manage.py tick` running, its output going to a file."""

    process: subprocess.Popen
    output: Path

    def running(self) -> bool:
        return self.process.poll() is None

    def finish(self, *, timeout: float = 60) -> str:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"tick did not finish within {timeout:.0f}s:\n{self.output.read_text()}")
        said = self.output.read_text()
        assert self.process.returncode == 0, f"tick failed with {self.process.returncode}:\n{said}"
        return said


class RedisRig:
    """A worker and `manage.py tick` processes whose broker (and cache) is the private Redis, sending
    through the journaling backend, against the test database."""

    def __init__(self, redis: RedisServer, journal_file, tmp_path):
        self.redis = redis
        self.queue = f"carecrm-redis-restart-{uuid.uuid4().hex[:8]}"
        self.tmp_path = tmp_path
        self.workers: list[WorkerProcess] = []
        self.ticks: list[TickProcess] = []
        self.base_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "carecrm.settings.test",
            "DATABASE_URL": database_url(connection.settings_dict),
            "REDIS_URL": redis.url,
            "CELERY_QUEUE": self.queue,
            "PYTHONUNBUFFERED": "1",
            "CARECRM_TEST_EMAIL_BACKEND": JOURNAL_BACKEND,
            "CARECRM_CAMPAIGN_QUIET_HOURS": "",
            "CARECRM_CAMPAIGN_SEND_BATCH": "20",
            "CAMPAIGN_JOURNAL": str(journal_file),
        }

    def spawn_worker(self, *, delay: float) -> WorkerProcess:
        """A worker starting (wait_ready before relying on it): it starts while the test sets up its data."""
        worker = WorkerProcess(queue=self.queue, env={**self.base_env, "CAMPAIGN_JOURNAL_DELAY": str(delay)})
        self.workers.append(worker)
        return worker

    def start_tick(self, *, delay: float = 0.0) -> "TickProcess":
        output = self.tmp_path / f"tick-{len(self.ticks)}.txt"
        with output.open("w") as handle:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "tick"],
                cwd=BASE_DIR,
                env={**self.base_env, "CAMPAIGN_JOURNAL_DELAY": str(delay)},
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
        tick = TickProcess(process, output)
        self.ticks.append(tick)
        return tick

    def ring(self, task_name: str, *args) -> str:
        """Publish one task to the private Redis, as beat would; returns its id."""
        from celery import Celery

        bell = Celery("bell", broker=self.redis.url, set_as_current=False)
        bell.conf.broker_connection_timeout = 3
        try:
            return bell.send_task(task_name, args=list(args), queue=self.queue).id
        finally:
            bell.close()

    def restart_redis(self, *, down_for: float) -> None:
        self.redis.kill()
        time.sleep(down_for)  # the outage itself: how long the broker is gone
        self.redis.start()

    def stop(self) -> None:
        for tick in self.ticks:
            if tick.process.poll() is None:
                tick.process.kill()
                tick.process.wait()
        for worker in self.workers:
            worker.stop()


@pytest.fixture
def redis_rig(private_redis, journal_file, tmp_path):
    rig = RedisRig(private_redis, journal_file, tmp_path)
    yield rig
    rig.stop()


def later_tick() -> str:
    """The next tick, past the grace a queued task has before the tick sends its messages itself. It runs
    here: what it publishes is for no one, the messages it sends go through the journal all the same."""
    said = io.StringIO()
    call_command("tick", now=(clock.now() + timedelta(minutes=2)).isoformat(), stdout=said)
    return said.getvalue()


def _sent_by_tick(said: str) -> int:
    match = re.search(r"campaign_deliveries: (\d+) campaign messages sent", said)
    assert match, said
    return int(match.group(1))


def _assert_reconnected(rig: RedisRig, worker: WorkerProcess) -> None:
    # The restarted Redis knows nothing of the worker: only a worker that connected again takes this.
    worker.wait_for_task(rig.ring("carecrm.run_job", "event_sweep"), timeout=45)


def _welcome_readers(prefix: str, count: int, *, registered_at: datetime) -> list[int]:
    return [
        customer_upsert(
            data={
                "external_id": f"{prefix}-{n}",
                "email": f"{prefix}-{n}@mail.example",
                "first_name": prefix.title(),
                "registered_at": registered_at,
                "marketing_opt_in": True,
            },
            source="test",
            now=registered_at,
        )[0].pk
        for n in range(count)
    ]


@pytest.mark.slow
def test_redis_restarting_during_a_tick_loses_no_due_message_and_doubles_none(redis_rig):
    rig, now = redis_rig, clock.now()
    worker = rig.spawn_worker(delay=0.2)
    playbook_install()
    welcome = Campaign.objects.get(slug="welcome")
    # given ten welcome messages an earlier broker outage left queued, which the next tick sends itself
    early = _welcome_readers("early", 10, registered_at=now - timedelta(days=2, minutes=10))
    event_sweep(now=now - timedelta(minutes=9))
    with broker_unreachable():
        services.steps_due(now=now - timedelta(minutes=5))
    left_over = set(Delivery.objects.filter(customer__in=early).values_list("message_id", flat=True))
    assert len(left_over) == 10
    assert not Delivery.objects.filter(customer__in=early, enqueued_at__isnull=False).exists()
    # and thirty customers whose welcome step has just come due, for the tick to hand to the worker
    _welcome_readers("due", 30, registered_at=now - timedelta(days=2, minutes=1))
    event_sweep(now=now)
    worker.wait_ready()

    # when Redis is killed while the tick is sending the left-over messages, and comes back a second later
    tick = rig.start_tick(delay=0.25)
    worker.wait_until(
        lambda: len(left_over.intersection(journal())) >= 2, what="the tick sending", timeout=60
    )
    assert tick.running(), "the tick ended before the restart"
    rig.restart_redis(down_for=1.0)
    first = tick.finish()

    # then the tick went through it: it recorded the due steps and sent what was left over
    assert "campaign_steps: 30 campaign messages queued" in first, first
    assert _sent_by_tick(first) == 10, first
    # and the worker finishes the batch in its hands, connects again and takes new work
    worker.wait_until(
        lambda: not Delivery.objects.filter(campaign=welcome, status="sending").exists(),
        what="the worker's batch finished",
    )
    _assert_reconnected(rig, worker)
    # and the next tick sends what Redis lost with its queue
    second = later_tick()
    assert _sent_by_tick(second) > 0, f"the restart lost no queued batch: it tested nothing\n{second}"
    assert_each_sent_once(welcome, 40)


@pytest.mark.slow
def test_redis_restarting_while_the_worker_sends_a_broadcast_loses_none_and_doubles_none(redis_rig):
    from django_celery_beat.models import CrontabSchedule

    # four seconds a batch: however late this process sees it, the restart lands inside the first one
    worker = redis_rig.spawn_worker(delay=0.2)
    campaign = newsletter(40)
    # one slot, a minute ago: the later tick finds no new one
    slot = (clock.now() - timedelta(minutes=1)).replace(second=0, microsecond=0)
    campaign.schedule = CrontabSchedule.objects.create(minute=slot.minute, hour=slot.hour, timezone="UTC")
    campaign.last_run_at = slot - timedelta(minutes=1)
    campaign.save(update_fields=["schedule", "last_run_at"])
    worker.wait_ready()

    # given beat's tick starting the broadcast: the run fanned out, two batches of twenty queued in Redis
    tick = redis_rig.start_tick()

    # when Redis is killed while the worker is in the middle of the first batch, and is back a second later
    worker.wait_until(lambda: len(journal()) >= 3, what="three messages sent", timeout=60)
    redis_rig.restart_redis(down_for=1.0)

    # then the tick went through it, having started the broadcast once
    first = tick.finish()
    assert "1 broadcasts started" in first, first
    # and the worker finishes the batch in its hands, connects again and takes new work
    worker.wait_until(
        lambda: not Delivery.objects.filter(campaign=campaign, status="sending").exists(),
        what="the worker's batch finished",
    )
    _assert_reconnected(redis_rig, worker)
    sent_by_worker = len(journal())
    assert sent_by_worker < 40, "the whole broadcast was sent before the restart: it tested nothing"
    # and the next tick sends the batch Redis lost with its queue, each message once
    second = later_tick()
    assert _sent_by_tick(second) == 40 - sent_by_worker, second
    assert_each_sent_once(campaign, 40)
