"""An agent's reply under faults, with real worker processes on the real broker: the worker sending it is
killed (SIGKILL) before the ESP accepted the email, or after it accepted it but before the worker heard
so; another worker starts and beat's tick runs. The customer gets the reply once, and it is marked sent."""

import io
import os
import signal
from datetime import timedelta

import pytest
from django.core.management import call_command

from carecrm import clock
from tests.campaigns.journal_backend import journal
from tests.celery_worker import WorkerProcess, session_queue, worker_env
from tests.factories import UserFactory
from tickets import services
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
JOURNAL_BACKEND = "tests.campaigns.journal_backend.EmailBackend"


@pytest.fixture
def journal_file(tmp_path, settings, monkeypatch):
    path = tmp_path / "journal.txt"
    monkeypatch.setenv("CAMPAIGN_JOURNAL", str(path))
    settings.EMAIL_BACKEND = JOURNAL_BACKEND
    return path


@pytest.fixture
def start_worker(journal_file):
    workers = []

    def start(**journal_pauses: float) -> WorkerProcess:
        env = worker_env(
            CARECRM_TEST_EMAIL_BACKEND=JOURNAL_BACKEND,
            CAMPAIGN_JOURNAL=str(journal_file),
            **{f"CAMPAIGN_JOURNAL_{name.upper()}": str(seconds) for name, seconds in journal_pauses.items()},
        )
        worker = WorkerProcess(queue=session_queue(), env=env)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def _delivery(message: Message) -> str:
    return Message.objects.values_list("delivery", flat=True).get(pk=message.pk)


@pytest.mark.parametrize(
    ("pause", "accepted"),
    [
        pytest.param("delay", False, id="killed-before-the-esp-accepted-it"),
        pytest.param("hold", True, id="killed-after-the-esp-accepted-it"),
    ],
)
def test_a_worker_killed_sending_a_reply_neither_loses_nor_doubles_it(start_worker, pause, accepted):
    # given a worker whose ESP takes long to accept a message, or to say it did
    victim = start_worker(**{pause: 60})
    opened = services.ticket_open(
        channel=Ticket.Channel.PHONE,  # a call: no acknowledgement email, the reply is the only one
        email="ana@mail.example",
        subject="Parcel not here",
        body="Called about order 1042.",
    )

    # when an agent replies, and the worker holding the reply is killed mid-send
    reply = services.ticket_reply(
        ticket=opened.ticket, author=UserFactory(role="agent"), text="It is on its way, sorry."
    )
    message_id = f"<{reply.message_id}>"
    if accepted:
        victim.wait_until(lambda: message_id in journal(), what="the ESP accepting the reply")
    else:
        victim.wait_until(lambda: _delivery(reply) == "sending", what="the worker claiming the reply")
    os.kill(victim.pid, signal.SIGKILL)
    victim.process.wait()
    assert _delivery(reply) == "sending"
    assert journal().count(message_id) == int(accepted)

    # and another worker starts, and beat's tick comes once the dead worker's claim is past its lease
    start_worker()
    said = io.StringIO()
    later = clock.now() + timedelta(minutes=15)
    call_command("tick", now=later.isoformat(), stdout=said)
    call_command("tick", now=(later + timedelta(minutes=2)).isoformat(), stdout=said)

    # then the customer got the reply exactly once, and it is marked sent
    assert journal().count(message_id) == 1, said.getvalue()
    assert _delivery(reply) == "sent", said.getvalue()
