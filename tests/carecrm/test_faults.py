"""Faults across the apps, against real servers: PostgreSQL restarting while the store pushes orders,
payments and shipments into the API (whatever fails is answered in a way the store can retry, and what
it retried is stored once); the ESPs' webhooks delivered many times, several at the same moment (each
email, open or click counts once)."""

import base64
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Count

from campaigns.models import Delivery, DeliveryEvent
from campaigns.playbook import playbook_install
from carecrm import clock
from customers.models import Customer
from lifecycle.models import Event
from orders.models import Order, Payment, Shipment
from tests.campaigns.test_playbook import T0, register, tick
from tests.celery_worker import database_url
from tests.concurrency import gunicorn_command, send_together
from tests.orders.factories import OrderPayloadFactory
from tests.outages import DatabaseRelay, free_port
from tests.tickets.test_esp_inbound import SIGNING_KEY, mailgun_fields, raw_message
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STORE_DEADLINE = 90.0


# --- PostgreSQL restarting during ingestion -----------------------------------------------------------


@dataclass
class Answer:
    path: str
    status: int  # 0: no HTTP answer at all (connection refused or cut)
    retry_after: str | None = None
    detail: str = ""


@dataclass
class Store:
    """The shop's integration: it posts each record until it is accepted, as a real one does. A
    connection error, a 5xx or a 409 ("send it again") is retried, after Retry-After when the answer
    gives one; the upserts by external_id make a retry safe."""

    base_url: str
    token: str
    answers: list[Answer] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, path: str, payload: dict) -> dict:
        deadline = time.monotonic() + STORE_DEADLINE
        while True:
            answer, body = self._post_once(path, payload)
            with self.lock:
                self.answers.append(answer)
            if answer.status in (200, 201):
                return body
            if answer.status and answer.status < 500 and answer.status != 409:
                raise AssertionError(f"POST {path} was refused: {answer}")
            if time.monotonic() > deadline:
                raise AssertionError(f"POST {path} still failing after {STORE_DEADLINE:.0f}s: {answer}")
            time.sleep(float(answer.retry_after) if answer.retry_after else 0.2)

    def _post_once(self, path: str, payload: dict) -> tuple[Answer, dict]:
        request = urllib.request.Request(  # noqa: S310 (our own server on loopback)
            f"{self.base_url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Token {self.token}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return Answer(path, response.status), json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode(errors="replace")
            return Answer(path, error.code, error.headers.get("Retry-After"), detail), {}
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            return Answer(path, 0, None, repr(error)), {}

    def push(self, n: int) -> None:
        """Order n, then its captured payment, then its shipment: what a shop sends as an order goes on."""
        order = OrderPayloadFactory(
            external_id=f"PGR-{n:04d}",
            number=f"PGR-{n:04d}",
            customer={"email": f"pg-restart-{n}@mail.example", "first_name": "Ada"},
        )
        order_id = self.post("/api/v1/orders/", order)["id"]
        self.post(
            f"/api/v1/orders/{order_id}/payments/",
            {
                "external_id": f"PGR-PAY-{n:04d}",
                "amount": order["total"],
                "currency": order["currency"],
                "method": "card",
                "status": "captured",
                "occurred_at": order["placed_at"],
            },
        )
        self.post(
            f"/api/v1/orders/{order_id}/shipments/",
            {
                "external_id": f"PGR-SHP-{n:04d}",
                "carrier": "DHL",
                "tracking_number": f"JD0146{n:08d}",
                "shipped_at": "2026-10-02T08:00:00Z",
            },
        )

    def completed(self) -> int:
        with self.lock:
            return sum(answer.status in (200, 201) for answer in self.answers)


@dataclass
class RelayedServer:
    url: str
    relay: DatabaseRelay
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False


@pytest.fixture
def relayed_server(tmp_path):
    """gunicorn (two processes of four threads, persistent database connections as in production) whose
    every database connection goes through a relay that can stage a PostgreSQL restart."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the restart is staged in front of a database server, SQLite is a file")
    host, port = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    if not host or host.startswith("/"):
        pytest.skip("PostgreSQL is reached through a Unix socket; the relay speaks TCP")
    relay = DatabaseRelay((host, int(port or 5432)))
    relayed = {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": str(relay.port)}
    server_port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carecrm.settings.test",
        "DATABASE_URL": database_url(relayed),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CONN_MAX_AGE", None)  # the production default: connections outlive a request
    with log.open("w") as output:
        process = subprocess.Popen(
            gunicorn_command(server_port, workers=2),
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = RelayedServer(url=f"http://127.0.0.1:{server_port}", relay=relay, process=process, log=log)
    try:
        deadline = time.monotonic() + 30
        while not server.healthy():
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log_text()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not become healthy within 30s:\n{server.log_text()[-3000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        relay.stop()


def _repeated(values) -> dict:
    return {value: n for value, n in Counter(values).items() if n != 1}


@pytest.mark.slow
def test_a_postgresql_restart_during_ingestion_loses_nothing_doubles_nothing_and_answers_no_500(
    relayed_server, integration_token
):
    server, orders, threads_count = relayed_server, 40, 4
    store = Store(server.url, integration_token.key)
    failures: list[BaseException] = []

    def push_share(share: range) -> None:
        try:
            for n in share:
                store.push(n)
        except BaseException as exc:
            failures.append(exc)

    # given the store pushing orders, payments and shipments from four threads
    threads = [
        threading.Thread(target=push_share, args=(range(t, orders, threads_count),), name=f"store-{t}")
        for t in range(threads_count)
    ]
    for thread in threads:
        thread.start()

    # when PostgreSQL restarts a quarter of the way through (each order is three requests): every
    # connection cut, none accepted for two seconds
    deadline = time.monotonic() + 60
    while store.completed() < orders * 3 // 4 and not failures:
        assert time.monotonic() < deadline, "the store made no progress before the restart"
        time.sleep(0.01)
    server.relay.restart(down_for=2.0)
    for thread in threads:
        thread.join(STORE_DEADLINE + 30)
    assert not any(thread.is_alive() for thread in threads), "the store is still pushing"
    assert not failures, failures

    # then the server told the store to come back later, never that it failed
    statuses = Counter(answer.status for answer in store.answers)
    log = server.log_text()
    assert server.relay.dropped > 0, "the restart cut no connection: it tested nothing"
    assert statuses[503] > 0, f"no request met the restart: {statuses}"
    unexpected = [a for a in store.answers if a.status not in (200, 201, 503)]
    assert not unexpected, f"{unexpected[:5]}\n--- server log ---\n{log[-4000:]}"
    assert all(a.retry_after for a in store.answers if a.status == 503), "a 503 without Retry-After"
    assert "Internal Server Error" not in log, log[-4000:]

    # and it came back by itself, in the same processes: no worker was restarted to recover
    assert server.healthy()
    assert log.count("Booting worker with pid") == 2, log[-4000:]
    assert server.process.poll() is None

    # and every order is there once, with its items, its payment, its shipment and each event once
    stored = Order.objects.filter(external_id__startswith="PGR-").annotate(items_count=Count("items"))
    assert sorted(order.external_id for order in stored) == [f"PGR-{n:04d}" for n in range(orders)]
    assert {order.items_count for order in stored} == {2}
    assert {order.status for order in stored} == {"shipped"}
    assert Payment.objects.filter(external_id__startswith="PGR-PAY-").count() == orders
    assert Shipment.objects.filter(external_id__startswith="PGR-SHP-").count() == orders
    assert Customer.objects.filter(email__startswith="pg-restart-").count() == orders
    order_ids = {order.pk for order in stored}
    for kind in ("order_placed", "payment_captured", "shipment_created", "registered"):
        events = Event.objects.filter(kind=kind, customer__email__startswith="pg-restart-")
        assert events.count() == orders, kind
        assert _repeated(events.values_list("customer_id", flat=True)) == {}, f"{kind} recorded twice"
    placed = Event.objects.filter(kind="order_placed").values_list("data__order", flat=True)
    assert set(placed) == order_ids


# --- The same webhook delivered many times ------------------------------------------------------------

WEBHOOK_SECRET = "esp:many-deliveries"
COPIES = 5


@pytest.fixture
def esp_webhooks(settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }
    return {"Authorization": "Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode()}


def _delivered_many_times(url: str, requests: list[tuple[str, bytes, dict]]) -> list[int]:
    """Each webhook call COPIES times at the same moment (an ESP retrying while the first is still being
    handled, or two of its machines sending it), then once more each a little later (a retry after a
    timeout)."""
    together = send_together(url, [request for request in requests for _ in range(COPIES)])
    later = [answer for request in requests for answer in send_together(url, [request])]
    return [answer.status for answer in together + later]


def test_an_inbound_email_the_esp_delivers_many_times_opens_one_ticket(live_server, esp_webhooks):
    # given Mailgun's signed inbound route for one customer's email
    body = urlencode(mailgun_fields(raw_message("<many-times-1@mail.example>"))).encode()
    headers = {**esp_webhooks, "Content-Type": "application/x-www-form-urlencoded"}

    # when it arrives five times at once, and once more later
    statuses = _delivered_many_times(live_server.url, [("/anymail/mailgun/inbound_mime/", body, headers)])

    # then every delivery was accepted, and one ticket with one message, one customer and one event exists
    assert statuses == [200] * (COPIES + 1)
    ticket = Ticket.objects.get()
    inbound = Message.objects.filter(direction="inbound")
    assert [m.message_id for m in inbound] == ["many-times-1@mail.example"]
    assert Customer.objects.filter(email="ana@mail.example").count() == 1
    assert Event.objects.filter(kind="ticket_opened").count() == 1
    # and the customer is acknowledged once
    assert list(Message.objects.filter(kind="auto_reply").values_list("ticket", flat=True)) == [ticket.pk]


def test_tracking_events_the_esp_delivers_many_times_count_once(live_server, esp_webhooks, monkeypatch):
    # the webhooks arrive an hour after the events they report (the live server runs in this process)
    monkeypatch.setattr(clock, "now", lambda: T0 + timedelta(days=3, hours=1))
    # given a welcome message sent
    playbook_install()
    ada = register("ada")
    tick(T0 + timedelta(days=2, minutes=1))
    delivery = Delivery.objects.get(customer=ada, status="sent")

    def postmark(record_type: str, **fields) -> tuple[str, bytes, dict]:
        payload = {
            "RecordType": record_type,
            "MessageID": f"pm-{delivery.pk}",
            "Recipient": delivery.to,
            "Metadata": {"delivery": str(delivery.pk)},
            "ReceivedAt": (T0 + timedelta(days=3)).isoformat(),
            **fields,
        }
        headers = {**esp_webhooks, "Content-Type": "application/json"}
        return "/anymail/postmark/tracking/", json.dumps(payload).encode(), headers

    # when Postmark reports its open and its click five times at once each, and each once more later
    statuses = _delivered_many_times(
        live_server.url, [postmark("Open"), postmark("Click", OriginalLink="https://shop.example/kitchen")]
    )

    # then each report was accepted and applied once: one open, one click, one timeline event each
    assert statuses == [200] * (2 * COPIES + 2)
    assert sorted(DeliveryEvent.objects.values_list("kind", flat=True)) == ["clicked", "opened"]
    delivery.refresh_from_db()
    assert delivery.status == "clicked"
    assert delivery.opened_at == delivery.clicked_at == T0 + timedelta(days=3)
    kinds = Counter(Event.objects.filter(customer=ada).values_list("kind", flat=True))
    assert (kinds["message_opened"], kinds["message_clicked"]) == (1, 1)
