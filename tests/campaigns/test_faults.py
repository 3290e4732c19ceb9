"""Exactly once under faults, with real worker processes on the real broker: two workers handed the
same batch, a worker killed (SIGKILL) in the middle of a batch and another started, the broker down
during a tick. Every due message reaches the backend once and none is lost."""

import io
import os
import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from campaigns import services
from campaigns.models import Campaign, Delivery, Step
from campaigns.tasks import deliveries_send_task
from carecrm import clock
from lifecycle.models import Segment
from tests.campaigns.journal_backend import journal
from tests.celery_worker import WorkerProcess, _session, broker_unreachable, database_url, session_queue
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
JOURNAL_BACKEND = "tests.campaigns.journal_backend.EmailBackend"


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
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "carecrm.settings.test",
            "DATABASE_URL": database_url(connection.settings_dict),
            "CELERY_QUEUE": session_queue(),
            "CELERY_BROKER_DIR": _session["broker_dir"],
            "PYTHONUNBUFFERED": "1",
            "CARECRM_TEST_EMAIL_BACKEND": JOURNAL_BACKEND,
            "CARECRM_CAMPAIGN_QUIET_HOURS": "",
            "CARECRM_CAMPAIGN_SEND_BATCH": "20",
            "CAMPAIGN_JOURNAL": str(journal_file),
            "CAMPAIGN_JOURNAL_DELAY": str(delay),
        }
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
