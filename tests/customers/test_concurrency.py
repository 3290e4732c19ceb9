"""A store that retries, or runs several importers at once, sends the same customer many times at the same
moment. Whatever the database, the burst leaves one customer and one `registered` event, and no request
fails with a 5xx (CONTRACT.md: upserts are idempotent, never 500)."""

import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from customers.models import Customer, CustomerIdentity
from lifecycle.models import Event
from tests.concurrency import Answer, burst, gunicorn_command

BASE_DIR = Path(__file__).resolve().parent.parent.parent
URL = "/api/v1/customers/"
BURST = 20


def _customer(key: str) -> dict:
    return {
        "external_id": f"BURST-{key}",
        "email": f"burst-{key}@shop.example",
        "phone": f"+49 151 {zlib.crc32(key.encode()) % 10**8:08d}",
        "first_name": "Ada",
        "registered_at": "2026-11-01T10:00:00Z",
        "marketing_opt_in": True,
        "tags": ["vip", "newsletter", f"wave-{key}"],
    }


def _assert_one_created_the_rest_updated(answers: list[Answer]) -> None:
    statuses = sorted(a.status for a in answers)
    assert statuses == [200] * (len(answers) - 1) + [201], [(a.status, a.body) for a in answers]
    assert len({a.body["id"] for a in answers}) == 1


# --- The database the suite runs on (PostgreSQL in CI, SQLite embedded) ------------------------------


@pytest.mark.django_db(transaction=True)
def test_identical_upserts_sent_at_once_leave_one_customer_and_one_registered_event(
    live_server, integration_token
):
    # Several bursts, each of a new customer: a race that is lost only now and then still shows.
    for wave in range(5):
        # given twenty copies of a new customer, with email, phone, tags and consent
        payload = _customer(f"wave-{wave}")
        # when they are all posted at the same moment
        answers = burst(live_server.url, integration_token.key, [(URL, payload)] * BURST)
        # then one request created the customer and the other nineteen found it and answered 200
        _assert_one_created_the_rest_updated(answers)
        # and exactly one customer, one of each identity and one of each event exists
        customer = Customer.objects.get(external_id=payload["external_id"])
        assert answers[0].body["id"] == customer.pk
        kinds = sorted(Event.objects.filter(customer=customer).values_list("kind", flat=True))
        assert kinds == ["registered", "subscribed"]
        identities = sorted(CustomerIdentity.objects.filter(customer=customer).values_list("kind", flat=True))
        assert identities == ["email", "phone"]
        assert set(customer.tags.values_list("name", flat=True)) == set(payload["tags"])
    assert Customer.objects.count() == 5


# --- Always SQLite: the embedded default under a real multi-process server ---------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _embedded_env(var_dir: Path, database: Path) -> dict[str, str]:
    """The environment of `make run` on a fresh machine: no server of any kind, everything under var_dir,
    whatever database and broker this test session itself uses."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_DIR", "CELERY_QUEUE", "DJANGO_SETTINGS_MODULE"}
    }
    # Empty rather than absent, so a developer's .env cannot bring Redis back in.
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "CARECRM_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "carecrm.settings.base",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _wait_healthy(url: str, server: subprocess.Popen, log: Path, deadline_seconds: float = 30) -> None:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (our own server)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not become healthy:\n{log.read_text()[-3000:]}")


@dataclass
class EmbeddedServer:
    url: str
    token: str
    database: Path
    log: Path

    def count(self, sql: str, *params) -> int:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30) as connection:
            return connection.execute(sql, params).fetchone()[0]


@pytest.fixture
def embedded_server(tmp_path):
    """gunicorn with several processes and threads over a freshly migrated SQLite file, as `make run`
    would serve it, and an integration token to call it with."""
    database = tmp_path / "burst.sqlite3"
    env = _embedded_env(tmp_path, database)
    _run(["migrate", "--noinput", "-v", "0"], env)
    token = secrets.token_hex(20)
    _run(
        [
            "shell",
            "-c",
            "import os\n"
            "from django.contrib.auth.models import Group, User\n"
            "from rest_framework.authtoken.models import Token\n"
            "user = User.objects.create_user('store')\n"
            "user.groups.add(Group.objects.get(name='integration'))\n"
            "Token.objects.create(user=user, key=os.environ['BURST_TOKEN'])\n",
        ],
        {**env, "BURST_TOKEN": token},
    )
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            gunicorn_command(port, workers=3),
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, server, log)
        yield EmbeddedServer(url=url, token=token, database=database, log=log)
    finally:
        # Quick shutdown: nothing is left to finish once the test has its answers.
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.mark.slow
def test_bursts_on_embedded_sqlite_under_gunicorn_never_fail(embedded_server):
    server = embedded_server
    # The settings chose write-ahead logging, so readers never wait for the writer.
    assert server.count("SELECT count(*) FROM pragma_journal_mode() WHERE journal_mode = 'wal'") == 1

    # given twenty copies of one new customer; when they are posted at the same moment to three processes
    same = _customer("sqlite-same")
    answers = burst(server.url, server.token, [(URL, same)] * BURST)
    # then none failed, one created it, and one customer with one `registered` event exists
    _assert_one_created_the_rest_updated(answers)
    assert (
        server.count("SELECT count(*) FROM customers_customer WHERE external_id = ?", same["external_id"])
        == 1
    )
    assert (
        server.count(
            "SELECT count(*) FROM lifecycle_event e JOIN customers_customer c ON c.id = e.customer_id "
            "WHERE c.external_id = ? AND e.kind = 'registered'",
            same["external_id"],
        )
        == 1
    )

    # given twenty different new customers; when they are posted at the same moment (twenty writers)
    distinct = [_customer(f"sqlite-distinct-{i}") for i in range(BURST)]
    answers = burst(server.url, server.token, [(URL, payload) for payload in distinct])
    # then every one was created, none waited into an error, and each has its `registered` event
    assert [a.status for a in answers] == [201] * BURST, [(a.status, a.body) for a in answers]
    assert server.count(
        "SELECT count(*) FROM customers_customer WHERE external_id LIKE 'BURST-sqlite-distinct-%'"
    ) == (BURST)
    assert (
        server.count(
            "SELECT count(*) FROM lifecycle_event e JOIN customers_customer c ON c.id = e.customer_id "
            "WHERE c.external_id LIKE 'BURST-sqlite-distinct-%' AND e.kind = 'registered'"
        )
        == BURST
    )
    assert "Traceback" not in server.log.read_text()
