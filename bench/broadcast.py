"""Messages/s of a broadcast to N customers through real Celery workers and Redis (anymail's test backend)
against one process rendering and handing the same messages to that backend; and the fan-out's peak
memory at two audience sizes, which must stay flat.

Writes N customers (default 100,000) with COPY, all with marketing consent and distinct addresses, seven
in ten with an order, spread over the time zones where it is daytime when the run starts (so the default
quiet hours hold nobody back); then a segment that selects all of them and an active broadcast campaign
whose one marketing step greets the customer by first name and ends with the unsubscribe link. Then:

- the baseline: in this process, the segment's customers read in id order, a CAMPAIGN_SEND_BATCH at a
  time, made into messages as a worker makes them (unsaved Deliveries, their contexts from
  `campaigns.sending.batch_contexts`, each message from `delivery_message`: the same templates, engine
  and reads) and handed to the backend with `send_messages` over one connection per batch; nothing is
  written;
- the workers: --workers `celery worker` processes (prefork, --concurrency children each) on the bench
  queue; the clock starts at `broadcast_send_now` and stops when the database holds N sent deliveries
  (polled). The fan-out runs as a task on one of the workers, as in production. With --wait-dispatch it
  also runs until every `message_sent` event has reached its subscribers. Checked afterwards: N
  deliveries sent to N distinct customers, none left in another state, one `message_sent` event each;
- the fan-out alone, at N/10 and at N customers: `broadcast_fan_out` of a fresh run in a process of its
  own (`manage.py shell`), its send tasks published to a queue no worker reads (deleted afterwards),
  timed, with its peak resident memory (VmHWM from /proc, reset right before the call); the peak at N
  must stay within 1.5x of the peak at N/10.

anymail's test backend appends every message to an in-memory outbox and finds each one's ESP id with
`outbox.index(message)`, a scan that grows with the outbox, which no real ESP backend does. So the
workers import this module (`--include`), which then empties the outbox after each task, and the
baseline empties it after each batch.
"""

import argparse
import io
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from bench._support import (
    REPO,
    BenchDatabase,
    BenchFailure,
    RedisQueue,
    bench_cleanup,
    bench_setup,
    django_in_process,
    format_table,
    manage,
    print_load_note,
    ratio,
    run_main,
    verdict,
)

QUEUE = "carecrm-bench-broadcast"
# The fan-out-alone passes publish their send tasks here: no worker reads it.
IDLE_QUEUE = "carecrm-bench-broadcast-idle"
# Set in the workers' environment only: importing this module there installs the outbox hook below.
WORKER_FLAG = "CARECRM_BENCH_BROADCAST_WORKER"
EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
MEMORY_LIMIT = 1.5
READY_TIMEOUT = 60.0
# Celery's line for a task done: "Task campaigns.deliveries_send[<id>] succeeded in 2.9s: {...}".
TASK_DONE = re.compile(r"Task (?P<name>[\w.]+)\[[^\]]+\] succeeded in (?P<seconds>[\d.]+)s")

# One zone per UTC offset or so, around the world: those where it is 9:00-18:59 when the run starts are
# used, so a marketing message is due at once under the default quiet hours (21-8).
ZONES = [
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Halifax", "America/Sao_Paulo", "Atlantic/South_Georgia",
    "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
    "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore", "Asia/Tokyo", "Australia/Brisbane",
    "Pacific/Noumea", "Pacific/Auckland",
]  # fmt: skip
FIRST_NAMES = [
    "Anna", "Jürgen", "Renée", "José", "Łucja", "Mia", "Noah", "Zoë", "Søren", "Chloé", "Luca", "Fatima",
    "Ingrid", "Mateo", "Aoife", "Emre", "Sofía", "Björn", "Hana", "Oliver",
]  # fmt: skip
LAST_NAMES = ["Müller", "Dubois", "García", "Rossi", "Nowak", "Jansen", "O'Brien", "Andersson", "Smith"]
COUNTRIES = ["DE", "FR", "ES", "IT", "PL", "NL", "IE", "SE", "GB"]
OTHER_CHANNELS = ["web", "search", "social", "referral"]
# The first tenth of the customers came through the newsletter form: the small audience of the
# fan-out-alone pass.
SMALL_CHANNEL = "newsletter"
PRODUCTS = [
    ("TEA-101", "Sencha green tea 100 g", "food", "8.90"),
    ("MUG-202", "Stoneware mug", "kitchen", "14.50"),
    ("TWL-303", "Linen tea towel", "home", "12.00"),
    ("LMP-404", "Walnut desk lamp", "home", "69.00"),
    ("BLK-505", "Wool blanket", "home", "89.00"),
]

SUBJECT = "{{ customer.first_name|default:'Hello' }}, the spring collection is here"
HTML = (
    "<p>Hello {{ customer.first_name|default:'there' }},</p>"
    "<p>Linen, stoneware and walnut: the spring collection is in the shop from today, and delivery is "
    "free on every order this week.</p>"
    "<p>Questions about sizes or delivery dates? Our help centre has the answers: "
    '<a href="{{ help_url }}">{{ help_url }}</a></p>'
    '<p style="color:#667;font-size:12px">You receive this because you agreed to hear from us. '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a> with one click.</p>'
)
TEXT = (
    "Hello {{ customer.first_name|default:'there' }},\n\n"
    "Linen, stoneware and walnut: the spring collection is in the shop from today, and delivery is free "
    "on every order this week.\n\n"
    "Questions about sizes or delivery dates? Our help centre has the answers: {{ help_url }}\n\n"
    "\n--\nUnsubscribe with one click: {{ unsubscribe_url }}\n"
)
ALL_RULE = {"all": [{"field": "marketing_opt_in", "op": "is", "value": True}]}
SMALL_RULE = {
    "all": [
        {"field": "marketing_opt_in", "op": "is", "value": True},
        {"field": "acquisition_channel", "op": "in", "value": [SMALL_CHANNEL]},
    ]
}

FAN_OUT_CHILD = """
import json, time
from campaigns.models import BroadcastRun, Campaign
from campaigns.services import broadcast_fan_out
from carecrm import clock

def status_mb(name):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1]) / 1024
    return None

now = clock.now()
run = BroadcastRun.objects.create(campaign=Campaign.objects.get(slug={slug!r}), scheduled_for=now,
                                  started_at=now)
setup_peak = status_mb("VmHWM")
# Linux resets the high-water mark on a write of 5 here: what follows is the fan-out's own peak.
try:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    reset = True
except OSError:
    reset = False
before = status_mb("VmRSS")
t0 = time.perf_counter(); recorded = broadcast_fan_out(run_id=run.pk, now=now)
seconds = time.perf_counter() - t0
peak = status_mb("VmHWM")
print(json.dumps({{"run": run.pk, "recorded": recorded, "seconds": seconds, "before_mb": before,
                  "fan_out_peak_mb": peak if reset else None,
                  "process_peak_mb": max(peak, setup_peak)}}))
"""


def _outbox_empty(**_signal) -> None:
    from django.core import mail

    outbox = getattr(mail, "outbox", None)
    if outbox:
        outbox.clear()


if os.environ.get(WORKER_FLAG) == "1":
    from celery.signals import task_postrun

    task_postrun.connect(_outbox_empty, weak=False)


# --- Options ---------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench broadcast", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers", type=int, default=100_000, help="audience of the broadcast (default 100000)"
    )
    parser.add_argument("--workers", type=int, default=4, help="celery worker processes (default 4)")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="prefork children per worker process (default 1)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds the workers get to send the whole broadcast (default 900)",
    )
    parser.add_argument(
        "--wait-dispatch",
        action="store_true",
        help="also time the workers until every message_sent event has reached its subscribers",
    )
    parser.add_argument("--seed", type=int, default=20260301, help="seed of the generated data")
    parser.add_argument(
        "--database",
        default="carecrm_bench_broadcast",
        help="bench database name (default carecrm_bench_broadcast)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    if options.customers < 10 or options.workers < 1 or options.concurrency < 1:
        parser.error("--customers must be at least 10, --workers and --concurrency at least 1")
    return options


def main(argv: list[str]) -> int:
    options = _parse(argv)
    return run_main(partial(_run, options))


# --- Data ------------------------------------------------------------------------------------------

CUSTOMER_COLUMNS = (
    "id, email, phone, first_name, last_name, registered_at, acquisition_channel, country, city, "
    "marketing_opt_in, marketing_opt_in_at, marketing_opt_in_source, lifecycle_stage, orders_count, "
    "total_spent, first_order_at, last_order_at, created_at, updated_at, order_updates_opt_out, "
    "loyalty_points, time_zone"
)
ORDER_COLUMNS = (
    "id, customer_id, external_id, number, placed_at, status, currency, total, payment_method, "
    "shipping_address, gift_wrap, delivery_slot, note, amount_paid, amount_refunded, delivered_at, "
    "created_at, updated_at, coupon_codes"
)
ITEM_COLUMNS = "order_id, sku, name, category, quantity, unit_price"
COPY_BATCH = 50_000


def _daytime_zones(now: datetime) -> list[str]:
    zones = [name for name in ZONES if 9 <= now.astimezone(ZoneInfo(name)).hour <= 18]
    if not zones:
        raise BenchFailure(f"none of the bench's time zones has daytime at {now:%H:%M} UTC")
    return zones


def _line(values: list[str]) -> str:
    return "\t".join(values) + "\n"


def _customers_copy(database: BenchDatabase, *, size: int, seed: int, zones: list[str], now: datetime) -> int:
    """Customers with consent and distinct addresses; seven in ten with one delivered order (one item),
    which their summary columns add up. Returns the number of orders written."""
    rng = random.Random(seed)
    small = max(1, size // 10)
    orders_written = 0
    with closing(database.connect(autocommit=False)) as conn, conn.cursor() as cursor:
        for start in range(1, size + 1, COPY_BATCH):
            customers, orders, items = io.StringIO(), io.StringIO(), io.StringIO()
            for customer_id in range(start, min(start + COPY_BATCH, size + 1)):
                registered = now - timedelta(days=rng.uniform(20, 700))
                stamp = registered.isoformat()
                spent, stage, first_s, last_s, count = "0", "prospect", r"\N", r"\N", 0
                if rng.random() < 0.7:
                    count = 1
                    orders_written += 1
                    sku, name, category, price = rng.choice(PRODUCTS)
                    quantity = rng.randint(1, 3)
                    spent = f"{quantity * float(price):.2f}"
                    placed = registered + timedelta(days=rng.uniform(0, 15))
                    first_s = last_s = placed.isoformat()
                    stage = "new"
                    orders.write(
                        _line(
                            [
                                str(orders_written),
                                str(customer_id),
                                f"bo{orders_written}",
                                f"B{orders_written:08d}",
                                first_s,
                                "delivered",
                                "EUR",
                                spent,
                                "prepaid",
                                "{}",
                                "f",
                                "",
                                "",
                                spent,
                                "0",
                                (placed + timedelta(days=3)).isoformat(),
                                first_s,
                                first_s,
                                "[]",
                            ]
                        )
                    )
                    items.write(_line([str(orders_written), sku, name, category, str(quantity), price]))
                first = rng.choice(FIRST_NAMES)
                channel = SMALL_CHANNEL if customer_id <= small else rng.choice(OTHER_CHANNELS)
                customers.write(
                    _line(
                        [
                            str(customer_id),
                            f"{first.lower()[:3]}.{customer_id}@bench.example",
                            "",
                            first,
                            rng.choice(LAST_NAMES),
                            stamp,
                            channel,
                            rng.choice(COUNTRIES),
                            "",
                            "t",
                            stamp,
                            channel,
                            stage,
                            str(count),
                            spent,
                            first_s,
                            last_s,
                            stamp,
                            stamp,
                            "f",
                            str(int(float(spent))),
                            rng.choice(zones),
                        ]
                    )
                )
            for table, columns, buffer in [
                ("customers_customer", CUSTOMER_COLUMNS, customers),
                ("orders_order", ORDER_COLUMNS, orders),
                ("orders_orderitem", ITEM_COLUMNS, items),
            ]:
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        # The rows carry their own ids; the sequences move past them for anything written later.
        for table in ["customers_customer", "orders_order"]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        conn.commit()
    database.execute("VACUUM ANALYZE")
    return orders_written


def _campaign_create(*, slug: str, name: str, segment):
    """An active broadcast with one marketing step, made active through the service that checks it."""
    from campaigns.models import Campaign, Step
    from campaigns.services import campaign_status_set

    campaign = Campaign.objects.create(
        slug=slug, name=name, kind=Campaign.Kind.BROADCAST, status=Campaign.Status.DRAFT, segment=segment
    )
    step = Step(
        campaign=campaign,
        position=1,
        name="Spring collection",
        purpose=Step.Purpose.MARKETING,
        subject=SUBJECT,
        html=HTML,
        text=TEXT,
    )
    step.full_clean()
    step.save()
    return campaign_status_set(campaign=campaign, to=Campaign.Status.ACTIVE)


# --- Workers ---------------------------------------------------------------------------------------


class Workers:
    """`celery worker` processes on the bench queue, each in a process group of its own, up once each
    has logged that it is ready."""

    def __init__(self, *, count: int, concurrency: int, env: dict[str, str], queue: str):
        self.count = count
        self.concurrency = concurrency
        self.env = {**env, WORKER_FLAG: "1", "PYTHONUNBUFFERED": "1"}
        self.queue = queue
        self.processes: list[subprocess.Popen] = []
        self._log_dir = tempfile.TemporaryDirectory(prefix="carecrm-bench-broadcast-")
        self.logs = [Path(self._log_dir.name) / f"worker-{n}.log" for n in range(count)]

    def __enter__(self) -> "Workers":
        try:
            self.start()
        except BaseException:
            self.stop()
            self._log_dir.cleanup()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self._log_dir.cleanup()

    def start(self) -> None:
        for n, path in enumerate(self.logs):
            with open(path, "wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "--app",
                            "carecrm",
                            "worker",
                            "--pool",
                            "prefork",
                            "--concurrency",
                            str(self.concurrency),
                            "--loglevel",
                            "INFO",
                            "--without-gossip",
                            "--without-mingle",
                            "--without-heartbeat",
                            "--queues",
                            self.queue,
                            "--hostname",
                            f"{self.queue}-{n}@%h",
                            "--include",
                            "bench.broadcast",
                        ],
                        cwd=REPO,
                        env=self.env,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        # Its own process group, so that stopping it can never reach anything else.
                        start_new_session=True,
                    )
                )
        deadline = time.monotonic() + READY_TIMEOUT
        waiting = set(range(self.count))
        while waiting:
            for n in list(waiting):
                if self.processes[n].poll() is not None:
                    raise BenchFailure(
                        f"worker {n} exited with {self.processes[n].returncode}:\n{self.log_tail(n)}"
                    )
                if " ready." in self.logs[n].read_text(errors="replace"):
                    waiting.discard(n)
            if waiting and time.monotonic() > deadline:
                late = min(waiting)
                raise BenchFailure(
                    f"worker {late} not ready after {READY_TIMEOUT:.0f}s:\n{self.log_tail(late)}"
                )
            time.sleep(0.2)

    def check_alive(self) -> None:
        for n, process in enumerate(self.processes):
            if process.poll() is not None:
                raise BenchFailure(f"worker {n} died with {process.returncode}:\n{self.log_tail(n)}")

    def stop(self) -> None:
        # SIGTERM is Celery's warm shutdown: the task in hand finishes and is acknowledged.
        running = [p for p in self.processes if p.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def log_tail(self, n: int, lines: int = 40) -> str:
        try:
            return "\n".join(self.logs[n].read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def task_seconds(self) -> dict[str, list[float]]:
        """How long each task the workers ran took, by task name, from their logs."""
        found: dict[str, list[float]] = {}
        for path in self.logs:
            for match in TASK_DONE.finditer(path.read_text(errors="replace")):
                found.setdefault(match["name"], []).append(float(match["seconds"]))
        return found

    def log_errors(self) -> list[str]:
        """Lines of the workers' logs that report a task's failure or an error."""
        found = []
        for n, path in enumerate(self.logs):
            for line in path.read_text(errors="replace").splitlines():
                if " ERROR/" in line or " CRITICAL/" in line or "] raised unexpected" in line:
                    found.append(f"worker {n}: {line[:300]}")
        return found


# --- The machine -----------------------------------------------------------------------------------

SPIN = (
    "import time\nt = time.perf_counter()\nfor _ in range(20_000_000): pass\nprint(time.perf_counter() - t)"
)


def _spin(count: int) -> list[float]:
    processes = [
        subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    return [float(process.communicate()[0]) for process in processes]


def cores_available() -> float:
    """The cores' worth of CPU the machine gives at this moment: a CPU-bound loop alone, then one per
    core at once. On a shared virtual machine the second core is not always a whole one, and the workers'
    pass needs all of them where the baseline needs one, so their ratio moves with it."""
    cpus = os.cpu_count() or 1
    alone = min(_spin(1)[0] for _ in range(2))
    return min(cpus, sum(alone / seconds for seconds in _spin(cpus)))


# --- Passes ----------------------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def _batches(iterable, size: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _audience(campaign):
    """The campaign's segment in id order, read a fan-out chunk at a time."""
    from campaigns.services import FAN_OUT_CHUNK
    from carecrm import clock
    from lifecycle.segments import segment_customers

    customers = segment_customers(campaign.segment.rule, now=clock.now()).order_by("pk")
    return customers.iterator(chunk_size=FAN_OUT_CHUNK)


def _unsaved_delivery(campaign, step, customer, pk: int):
    from campaigns.models import Delivery
    from campaigns.services import message_id

    return Delivery(
        pk=pk,
        campaign=campaign,
        step=step,
        customer=customer,
        purpose=step.purpose,
        to=customer.email,
        message_id=message_id(),
    )


def _hand_over(connection, messages: list) -> list[str]:
    from django.core import mail

    accepted = connection.send_messages(messages)
    problems = []
    if accepted != len(messages) or len(mail.outbox) != len(messages):
        problems.append(f"baseline: the backend took {accepted} of a batch of {len(messages)}")
    mail.outbox.clear()
    return problems


def baseline_pass(campaign, *, size: int) -> tuple[Figure, list[str]]:
    """The segment's customers in id order, a batch of CAMPAIGN_SEND_BATCH at a time, made into messages
    as a worker makes them (unsaved Deliveries, their contexts from batch_contexts, each message from
    delivery_message) and handed to the backend over one connection per batch; nothing is written."""
    from django.conf import settings
    from django.core.mail import get_connection

    from campaigns.sending import batch_contexts, delivery_message

    step = campaign.steps.order_by("position").first()
    problems: list[str] = []
    handed = 0
    connection = get_connection()
    began = time.perf_counter()
    for batch in _batches(_audience(campaign), settings.CARECRM["CAMPAIGN_SEND_BATCH"]):
        deliveries = [
            _unsaved_delivery(campaign, step, customer, handed + index)
            for index, customer in enumerate(batch, start=1)
        ]
        contexts = batch_contexts(deliveries)
        messages = [delivery_message(delivery, context=contexts[delivery.pk]) for delivery in deliveries]
        sample, customer = messages[0], batch[0]
        if customer.first_name not in sample.subject or "/unsubscribe/" not in sample.body:
            problems.append(f"baseline: unexpected message to {customer.email}: {sample.subject!r}")
        problems += _hand_over(connection, messages)
        handed += len(messages)
    seconds = time.perf_counter() - began
    if handed != size:
        problems.append(f"baseline: {handed} messages handed to the backend, expected {size}")
    return Figure("baseline: render and hand over, 1 process", handed, seconds), problems


UNFINISHED = (
    "SELECT EXISTS (SELECT 1 FROM campaigns_delivery WHERE status = 'queued') "
    "OR EXISTS (SELECT 1 FROM campaigns_delivery WHERE status = 'sending')"
)


UNDISPATCHED = (
    "SELECT EXISTS (SELECT 1 FROM lifecycle_event WHERE dispatched_at IS NULL AND kind = 'message_sent')"
)


def _sent(cursor, run_id: int) -> int:
    cursor.execute("SELECT count(*) FROM campaigns_delivery WHERE run_id = %s AND status = 'sent'", [run_id])
    return cursor.fetchone()[0]


@dataclass
class WorkerResult:
    sent: Figure
    dispatched: Figure | None
    call_seconds: float
    fanned_out_seconds: float | None
    claims: int
    # At the moment the last message was marked sent:
    undispatched_at_sent: int
    queued_tasks_at_sent: int
    # When the first message_sent event reached its subscribers, from the call; None if none had.
    first_dispatch_seconds: float | None
    task_seconds: dict[str, list[float]]


def workers_pass(
    database: BenchDatabase,
    campaign,
    *,
    size: int,
    workers: Workers,
    queue: RedisQueue,
    timeout: float,
    wait_dispatch: bool,
) -> tuple[WorkerResult, list[str]]:
    """broadcast_send_now, then the database polled until every message is sent (and, with
    `wait_dispatch`, until every `message_sent` event has reached its subscribers)."""
    from django.conf import settings

    from campaigns.services import broadcast_send_now

    batch = settings.CARECRM["CAMPAIGN_SEND_BATCH"]
    with closing(database.connect()) as conn, conn.cursor() as cursor:

        def scalar(query: str, params=()):
            cursor.execute(query, params)
            return cursor.fetchone()[0]

        undispatched = (
            "SELECT count(*) FROM lifecycle_event WHERE kind = 'message_sent' AND dispatched_at IS NULL"
        )
        called_at = datetime.now(UTC)
        began = time.perf_counter()
        run = broadcast_send_now(campaign=campaign)
        call_seconds = time.perf_counter() - began
        fanned_out = None
        next_report = began + 15
        while True:
            now = time.perf_counter()
            if fanned_out is None and scalar(
                "SELECT fanned_out_at IS NOT NULL FROM campaigns_broadcastrun WHERE id = %s", [run.pk]
            ):
                fanned_out = now - began
            # Counting the run's sent rows takes over 100 ms at 100k (every row is updated three times,
            # so the run's index holds several entries per row), which a tight poll would take from the
            # workers' CPU. Once the fan-out is done, none left queued or sending means all are handled
            # (verified below); the partial indexes on those two states keep that check small. This run
            # is the only one in the database at this point.
            if fanned_out is not None and not scalar(UNFINISHED):
                sent_seconds = time.perf_counter() - began
                break
            if now - began > timeout:
                raise BenchFailure(
                    f"workers: {_sent(cursor, run.pk)} of {size} messages sent after {timeout:.0f}s "
                    f"(fan-out {'done' if fanned_out else 'not done'}):\n{workers.log_tail(0)}"
                )
            if now >= next_report:
                print(
                    f"  {now - began:5.0f}s: {_sent(cursor, run.pk):,} sent, "
                    f"fan-out {'done' if fanned_out else 'running'}",
                    flush=True,
                )
                next_report += 15
            workers.check_alive()
            time.sleep(0.25)
        undispatched_at_sent, queued_tasks_at_sent = scalar(undispatched), queue.length()
        print(
            f"  {sent_seconds:5.1f}s: all {size:,} sent; {undispatched_at_sent:,} message_sent events "
            f"not yet dispatched, {queued_tasks_at_sent} tasks in the queue",
            flush=True,
        )
        dispatched = None
        if wait_dispatch:
            while True:
                if not scalar(UNDISPATCHED) and not queue.length():
                    dispatched = Figure(
                        "workers: send_now until all events dispatched", size, time.perf_counter() - began
                    )
                    break
                if time.perf_counter() - began > 2 * timeout:
                    raise BenchFailure(
                        f"workers: {scalar(undispatched)} message_sent events still undispatched after "
                        f"{2 * timeout:.0f}s"
                    )
                workers.check_alive()
                time.sleep(0.25)
        first_dispatched_at = scalar(
            "SELECT min(dispatched_at) FROM lifecycle_event WHERE kind = 'message_sent'"
        )

        problems = []
        cursor.execute(
            "SELECT status, count(*) FROM campaigns_delivery WHERE run_id = %s GROUP BY status", [run.pk]
        )
        statuses = dict(cursor.fetchall())
        if statuses != {"sent": size}:
            problems.append(f"workers: deliveries by status {statuses}, expected {{'sent': {size}}}")
        customers = scalar(
            "SELECT count(DISTINCT customer_id) FROM campaigns_delivery WHERE run_id = %s", [run.pk]
        )
        if customers != size:
            problems.append(f"workers: {customers} distinct customers, expected {size}")
        audience = scalar("SELECT audience FROM campaigns_broadcastrun WHERE id = %s", [run.pk])
        if audience != size:
            problems.append(f"workers: the run's audience is {audience}, expected {size}")
        events = scalar(
            "SELECT count(*) FROM lifecycle_event e JOIN campaigns_delivery d "
            "ON e.key = 'message_sent:' || d.id WHERE d.run_id = %s AND e.kind = 'message_sent'",
            [run.pk],
        )
        all_events = scalar("SELECT count(*) FROM lifecycle_event WHERE kind = 'message_sent'")
        if events != size or all_events != size:
            problems.append(
                f"workers: {events} message_sent events for the run's deliveries ({all_events} in all), "
                f"expected {size}"
            )
        # The test backend's ESP id is the message's place in the outbox: below a batch's size only when
        # the workers' outbox was emptied after each task, as a real ESP backend keeps none.
        highest = scalar(
            "SELECT max(esp_message_id::int) FROM campaigns_delivery WHERE run_id = %s", [run.pk]
        )
        if highest is None or highest >= batch:
            problems.append(f"workers: the outbox was not emptied after each task (ESP id up to {highest})")
        claims = scalar("SELECT count(DISTINCT claim) FROM campaigns_delivery WHERE run_id = %s", [run.pk])
    problems += workers.log_errors()[:5]
    task_seconds = workers.task_seconds()
    result = WorkerResult(
        sent=Figure("workers: send_now until all sent", size, sent_seconds),
        dispatched=dispatched,
        call_seconds=call_seconds,
        fanned_out_seconds=fanned_out,
        claims=claims,
        undispatched_at_sent=undispatched_at_sent,
        queued_tasks_at_sent=queued_tasks_at_sent,
        first_dispatch_seconds=(first_dispatched_at - called_at).total_seconds()
        if first_dispatched_at
        else None,
        task_seconds=task_seconds,
    )
    return result, problems


@dataclass
class FanOut:
    customers: int
    seconds: float
    tasks: int
    before_mb: float | None
    # The process's whole life, and the fan-out's own stretch where Linux can reset the mark.
    process_peak_mb: float
    fan_out_peak_mb: float | None

    @property
    def peak_mb(self) -> float:
        return self.fan_out_peak_mb if self.fan_out_peak_mb is not None else self.process_peak_mb


def fan_out_alone(
    database: BenchDatabase, *, slug: str, size: int, env: dict[str, str], idle: RedisQueue
) -> tuple[FanOut, list[str]]:
    """broadcast_fan_out of a fresh run in a `manage.py shell` of its own, its send tasks published to a
    queue nobody reads; its time and peak memory."""
    idle.delete()
    output = manage("shell", "-c", FAN_OUT_CHILD.format(slug=slug), env=env, timeout=1800)
    child = json.loads(output.strip().splitlines()[-1])
    tasks = idle.length()
    idle.delete()
    problems = []
    if child["recorded"] != size:
        problems.append(f"fan-out of {size}: {child['recorded']} deliveries recorded")
    queued = database.scalar(
        "SELECT count(*) FROM campaigns_delivery WHERE run_id = %s AND status = 'queued'", [child["run"]]
    )
    if queued != size:
        problems.append(f"fan-out of {size}: {queued} deliveries queued, expected {size}")
    expected_tasks = _send_tasks(size)
    if tasks != expected_tasks:
        problems.append(f"fan-out of {size}: {tasks} send tasks published, expected {expected_tasks}")
    fan_out = FanOut(
        customers=size,
        seconds=child["seconds"],
        tasks=tasks,
        before_mb=child["before_mb"],
        process_peak_mb=child["process_peak_mb"],
        fan_out_peak_mb=child["fan_out_peak_mb"],
    )
    return fan_out, problems


def _send_tasks(size: int) -> int:
    """Send tasks a fan-out of `size` queued deliveries publishes: each chunk's ids in batches."""
    from django.conf import settings

    from campaigns.services import FAN_OUT_CHUNK

    chunk, batch = FAN_OUT_CHUNK, settings.CARECRM["CAMPAIGN_SEND_BATCH"]
    return sum(math.ceil(min(chunk, size - start) / batch) for start in range(0, size, chunk))


# --- The benchmark ---------------------------------------------------------------------------------


def _run(options: argparse.Namespace) -> int:
    load_before = os.getloadavg()[0]
    database, queue, env = bench_setup(options.database, QUEUE)
    env = {**env, "EMAIL_BACKEND": EMAIL_BACKEND}
    idle = RedisQueue(env["REDIS_URL"], IDLE_QUEUE)
    idle.delete()
    size = options.customers
    small = max(1, size // 10)
    problems: list[str] = []
    database.recreate()
    try:
        manage("migrate", "--noinput", env=env)
        now = datetime.now(UTC)
        zones = _daytime_zones(now)
        began = time.perf_counter()
        orders = _customers_copy(database, size=size, seed=options.seed, zones=zones, now=now)
        print(
            f"{size:,} customers ({orders:,} with an order) written with COPY in "
            f"{time.perf_counter() - began:.1f}s; time zones in daytime now: {', '.join(zones)}",
            flush=True,
        )

        django_in_process(env)
        from lifecycle.models import Segment

        everyone = Segment.objects.create(name="Newsletter subscribers", rule=ALL_RULE)
        newsletter_form = Segment.objects.create(name="Came through the newsletter form", rule=SMALL_RULE)
        campaign = _campaign_create(slug="spring-collection", name="Spring collection", segment=everyone)
        _campaign_create(slug="fan-out-small", name="Fan-out alone, small", segment=newsletter_form)
        _campaign_create(slug="fan-out-large", name="Fan-out alone, large", segment=everyone)

        # The one-process loop first, while the tables are fresh: the workers' pass leaves dead row
        # versions that autovacuum may still be cleaning up afterwards.
        cores = [cores_available()]
        baseline, found = baseline_pass(campaign, size=size)
        problems += found
        print(f"baseline: {baseline.messages:,} messages in {baseline.seconds:.1f}s", flush=True)

        cores.append(cores_available())
        with Workers(count=options.workers, concurrency=options.concurrency, env=env, queue=QUEUE) as workers:
            print(
                f"{options.workers} celery workers x {options.concurrency} (prefork) ready on {QUEUE}",
                flush=True,
            )
            result, found = workers_pass(
                database,
                campaign,
                size=size,
                workers=workers,
                queue=queue,
                timeout=options.timeout,
                wait_dispatch=options.wait_dispatch,
            )
            problems += found

        database.execute("VACUUM ANALYZE")
        idle_env = {**env, "CELERY_QUEUE": IDLE_QUEUE}
        fan_outs = []
        for slug, audience in [("fan-out-small", small), ("fan-out-large", size)]:
            fan_out, found = fan_out_alone(database, slug=slug, size=audience, env=idle_env, idle=idle)
            problems += found
            fan_outs.append(fan_out)
            print(
                f"fan-out alone of {audience:,}: {fan_out.seconds:.1f}s, peak {fan_out.peak_mb:.0f} MB",
                flush=True,
            )
    finally:
        idle.delete()
        bench_cleanup(database, queue, user_pk=None, keep=options.keep)

    _report(options, baseline, result, fan_outs, cores=cores, load_before=load_before)
    small_run, large_run = fan_outs
    if large_run.peak_mb > MEMORY_LIMIT * small_run.peak_mb:
        problems.append(
            f"fan-out memory grows with the audience: peak {large_run.peak_mb:.0f} MB at "
            f"{large_run.customers:,} against {small_run.peak_mb:.0f} MB at {small_run.customers:,}"
        )
    return verdict(problems)


def _report(
    options: argparse.Namespace,
    baseline: Figure,
    result: WorkerResult,
    fan_outs: list[FanOut],
    *,
    cores: list[float],
    load_before: float,
) -> None:
    figures = [baseline, result.sent, *([result.dispatched] if result.dispatched else [])]
    rows = [
        [
            figure.label,
            f"{figure.messages:,}",
            f"{figure.seconds:.1f}",
            f"{figure.rate:.0f}",
            ratio(figure.rate / baseline.rate),
        ]
        for figure in figures
    ]
    print()
    print(format_table(["", "messages", "seconds", "messages/s", "x baseline"], rows))
    size = result.sent.messages
    sent = result.sent
    fanned_out = (
        f"was done {result.fanned_out_seconds:.1f}s after it"
        if result.fanned_out_seconds is not None
        else "had not finished when the last message was sent"
    )
    first_dispatch = (
        f"the first message_sent events reached their subscribers {result.first_dispatch_seconds:.0f}s "
        "after the call"
        if result.first_dispatch_seconds is not None
        else "no message_sent event had reached its subscribers yet"
    )
    print(
        f"\nWorkers: {options.workers} `celery worker` processes x {options.concurrency} prefork child(ren) "
        f"on Redis. broadcast_send_now returned in {result.call_seconds * 1000:.0f} ms; the fan-out task "
        f"(on one worker, {math.ceil(size / 2000)} chunks of 2000 customers) {fanned_out}; "
        f"{result.claims} send tasks claimed a batch each. When the last message was marked sent, "
        f"{result.undispatched_at_sent:,} of the {size:,} message_sent events were still waiting for their "
        f"dispatch ({result.queued_tasks_at_sent} tasks in the queue: one per batch, queued behind the "
        f"send tasks), and {first_dispatch}."
        + (
            ""
            if result.dispatched
            else " --wait-dispatch also times the workers until every event is dispatched."
        )
    )
    task_rows = [
        [
            name,
            str(len(seconds)),
            f"{statistics.median(seconds):.2f}",
            f"{sum(seconds):.1f}",
            f"{sum(seconds) / size * 1000:.2f}",
        ]
        for name, seconds in sorted(result.task_seconds.items())
    ]
    if task_rows:
        print()
        print(
            format_table(
                ["task (from the workers' logs)", "runs", "median s", "total s", "ms/message"], task_rows
            )
        )
        print(
            f"\nms/message: the task's total time over the {size:,} messages, in worker processes that share "
            f"the cores (the one-process loop takes {1000 / baseline.rate:.2f} ms a message). Tasks that had "
            "not run when the workers were stopped are not counted."
        )
    print(
        f"The workers reach {ratio(sent.rate / baseline.rate)}x of the baseline. Besides rendering and "
        "handing over the same message, each one costs there a Delivery row written by the fan-out, its "
        "share of a batch's claim UPDATE, a sent mark and a `message_sent` Event in a transaction of its "
        "own, then that event's dispatch (an EventHandling row per subscriber): the bookkeeping that makes "
        "every message go out exactly once whichever worker dies; and the broker's round trips."
    )
    print(
        "The baseline makes the messages with the app's own functions, as a worker does (batch_contexts "
        "for each batch of unsaved Deliveries, delivery_message for each), and hands each batch to the "
        "same anymail test backend over one connection, writing nothing. Both empty the test backend's "
        "outbox after every batch or task: its ESP-id lookup scans the whole outbox, which no real ESP "
        "backend does."
    )
    rows = []
    small_run = fan_outs[0]

    def mb(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    for fan_out in fan_outs:
        growth = None if fan_out.before_mb is None else fan_out.peak_mb - fan_out.before_mb
        rows.append(
            [
                f"{fan_out.customers:,}",
                f"{fan_out.seconds:.1f}",
                f"{fan_out.customers / fan_out.seconds:.0f}" if fan_out.seconds else "-",
                str(fan_out.tasks),
                mb(fan_out.before_mb),
                mb(fan_out.fan_out_peak_mb),
                "-" if growth is None else f"{growth:.1f}",
                mb(fan_out.process_peak_mb),
                ratio(fan_out.peak_mb / small_run.peak_mb),
            ]
        )
    print()
    print(
        format_table(
            [
                "fan-out alone: customers",
                "seconds",
                "customers/s",
                "send tasks",
                "RSS before MB",
                "fan-out peak MB",
                "growth MB",
                "process peak MB",
                "x small",
            ],
            rows,
        )
    )
    print(
        "\nbroadcast_fan_out of a fresh run in a `manage.py shell` of its own, its send tasks published to a "
        "queue no worker reads. RSS before: the process once Django is set up; fan-out peak: the resident "
        "high-water mark from the call on (Linux's VmHWM, reset just before); process peak: VmHWM over the "
        "whole process (not getrusage's ru_maxrss, which in a process started by fork and exec counts the "
        f"parent's resident size at the fork). The fan-out peak at {fan_outs[-1].customers:,} must stay "
        f"within {MEMORY_LIMIT}x of the one at {small_run.customers:,}."
    )
    print(
        f"Note: the workers, this process and PostgreSQL share this machine's {os.cpu_count()} CPU cores; "
        "compare the ratios. CPU-bound processes, one per core at once, got "
        f"{cores[0]:.1f} cores' worth just before the baseline and {cores[1]:.1f} just before the workers' "
        "pass: the workers' ratio moves with that, as they need every core and the baseline one."
    )
    print_load_note(load_before)
