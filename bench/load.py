"""Requests per second under gunicorn with production settings, from wrk: the store pushing orders,
customers tracking theirs and agents reading the inbox, all at once, against a ceiling view on the same
server.

Generates a shop first with the app's own seeders (`manage.py seed_demo`: customers, orders with
payments, shipments and their tracking events, returns, articles, the staff users), then opens more
tickets through tickets.services so that the inbox has pages of open work. Then starts gunicorn on a
free port of 127.0.0.1 (production settings, DEBUG off, one worker process per core) against this run's
PostgreSQL database and Redis, and loads it with wrk (https://github.com/wg/wrk; `apt-get install wrk`):

- the ceiling: GET of a view that answers `{"ok": true}` through every middleware of the app's pages and
  touches no database, at the same number of connections as the mix;
- the mix, three wrk processes started together, the connections shared among them:
  - order ingestion: POST /api/v1/orders/ with the integration user's token, every order new;
  - tracking: a lookup on /track/ (an order's number and email, posted with a CSRF token), which grants
    a new session that order and redirects to its page, then that page read with the session;
  - the inbox: /console/inbox/, each of its views in turn, as the demo agent signed in through the
    login form.

A short run of the mix warms the server up first and is not counted. Every request comes with the
headers of a TLS-terminating proxy (X-Forwarded-Proto, and an X-Forwarded-For address of its own, read
with CARECRM_TRUSTED_PROXY_HOPS=1), so the per-client rate limits count as they would for customers
coming from many addresses. Any socket error or an answer other than the one its request must get
fails the run, as does an order answered 201 that is not in the database exactly once.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from bench._support import (
    DEFAULT_REDIS_URL,
    BenchDatabase,
    BenchFailure,
    Gunicorn,
    RedisQueue,
    bench_cleanup,
    bench_setup,
    format_table,
    manage,
    print_load_note,
    ratio,
    run_main,
    verdict,
)

QUEUE = "carecrm-bench-load"
# A Redis database of its own: the run's rate-limit counters and Celery tasks stay away from the other
# benchmarks' (database 2) and from a developer's (database 0).
REDIS_DB = 11
SETTINGS = "bench._load_settings"
WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
# An answer slower than this counts as an error (wrk's default, 2 s, is within reach of a loaded
# two-core machine's p99 without anything being wrong).
WRK_TIMEOUT = "10s"
WARM_UP_SECONDS = 3
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of each phase (default 30)")
    parser.add_argument(
        "--connections",
        type=int,
        default=12,
        help="open connections in each phase, shared evenly by the mix's three streams (default 12)",
    )
    parser.add_argument("--customers", type=int, default=200, help="demo customers to generate (default 200)")
    parser.add_argument(
        "--tickets", type=int, default=120, help="open tickets added for the inbox (default 120)"
    )
    parser.add_argument(
        "--server-threads", type=int, default=4, help="threads per gunicorn worker (default 4)"
    )
    parser.add_argument(
        "--database", default="carecrm_bench_load", help="bench database name (default carecrm_bench_load)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    if options.seconds < 1 or options.connections < 3 or options.server_threads < 1:
        parser.error("--seconds and --server-threads must be at least 1, --connections at least 3")
    if options.customers < 10 or options.tickets < 0:
        parser.error("--customers must be at least 10, --tickets at least 0")
    return options


def main(argv: list[str]) -> int:
    options = _parse(argv)
    return run_main(partial(_run, options))


# --- Data ------------------------------------------------------------------------------------------

# Opens the inbox's tickets through the service the contact form and the mail ingest use, gives some to
# the demo agent, sets the agent's password for the benchmark's sign-in, and says what the wrk scripts
# need to know.
PREPARE_SCRIPT = """
import json
import os
import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from carecrm import clock
from customers.models import Customer
from orders.models import Order
from tickets import services
from tickets.demo import REQUESTS

rng = random.Random(7)
now = clock.now()
agent = get_user_model().objects.get(username="agent")
agent.set_password(os.environ["BENCH_AGENT_PASSWORD"])
agent.save(update_fields=["password"])
customers = list(Customer.objects.filter(external_id__startswith="demo-").exclude(email="").order_by("pk"))
latest_order = dict(
    Order.objects.order_by("customer_id", "-placed_at")
    .distinct("customer_id")
    .values_list("customer_id", "number")
)
for _ in range(int(os.environ["BENCH_TICKETS"])):
    channel, subject, body, *_rest = rng.choice(REQUESTS)
    customer = rng.choice(customers)
    ticket = services.ticket_open(
        channel=channel,
        email=customer.email,
        subject=subject,
        body=body,
        order_number=latest_order.get(customer.pk, "") if rng.random() < 0.7 else "",
        now=now - timedelta(minutes=rng.randrange(5, 3 * 24 * 60)),
    ).ticket
    if ticket.assignee_id is None and rng.random() < 0.4:
        services.ticket_assign(ticket=ticket, agent=agent, now=now)
print(json.dumps({
    "token": Token.objects.get(user__username="integration").key,
    "session_cookie": settings.SESSION_COOKIE_NAME,
    "csrf_cookie": settings.CSRF_COOKIE_NAME,
}))
"""


@dataclass
class Shop:
    token: str
    agent_password: str
    session_cookie: str
    csrf_cookie: str
    customer_ids: list[str]
    # (number, email) of every order with a shipment: what customers look up.
    trackable: list[tuple[str, str]]


def _generate(options: argparse.Namespace, env: dict[str, str], database: BenchDatabase) -> Shop:
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as aside:
        # Into this run's own var/: pages name their static files through the manifest it writes. It
        # needs no database, so it runs while the data is made.
        collected = aside.submit(manage, "collectstatic", "--noinput", "--verbosity", "0", env=env)
        manage("migrate", "--noinput", env=env)
        said = manage("seed_demo", "--customers", str(options.customers), env=env, timeout=1800)
        collected.result()
    agent_password = secrets.token_urlsafe(16)
    prepared = manage(
        "shell",
        "-c",
        PREPARE_SCRIPT,
        env={**env, "BENCH_TICKETS": str(options.tickets), "BENCH_AGENT_PASSWORD": agent_password},
    )
    names = json.loads(prepared.strip().splitlines()[-1])
    database.execute("VACUUM ANALYZE")
    print("seed_demo: " + "; ".join(line.strip() for line in said.splitlines()[1:-1]), flush=True)
    tickets = database.rows(
        "SELECT count(*), count(*) FILTER (WHERE status IN ('new', 'open', 'pending', 'on_hold')) "
        "FROM tickets_ticket"
    )[0]
    print(
        f"{tickets[0]} tickets, {tickets[1]} of them open; data generated in "
        f"{time.perf_counter() - began:.0f}s",
        flush=True,
    )
    customer_ids = [
        external_id
        for (external_id,) in database.rows(
            "SELECT external_id FROM customers_customer WHERE starts_with(external_id, 'demo-') ORDER BY id"
        )
    ]
    trackable = database.rows(
        "SELECT o.number, c.email FROM orders_order o JOIN customers_customer c ON c.id = o.customer_id "
        "WHERE c.email <> '' AND EXISTS (SELECT FROM orders_shipment s WHERE s.order_id = o.id) "
        "ORDER BY o.id"
    )
    if not trackable:
        raise BenchFailure("seed_demo shipped no orders: nothing to track")
    return Shop(
        token=names["token"],
        agent_password=agent_password,
        session_cookie=names["session_cookie"],
        csrf_cookie=names["csrf_cookie"],
        customer_ids=customer_ids,
        trackable=[tuple(row) for row in trackable],
    )


# --- Talking to the server from here ---------------------------------------------------------------


@dataclass
class Answer:
    status: int
    cookies: dict[str, str]
    location: str
    body: str


def _request(
    port: int, method: str, path: str, *, headers: dict[str, str], body: str | None = None
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"X-Forwarded-Proto": "https", **headers})
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        cookies = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookies.load(header)
        return Answer(
            status=response.status,
            cookies={name: morsel.value for name, morsel in cookies.items()},
            location=response.headers.get("Location", ""),
            body=text,
        )
    finally:
        conn.close()


def _form(port: int, path: str, shop: Shop) -> tuple[str, str]:
    """GET a page with a form: the CSRF cookie as a Cookie header, and the token the form carries."""
    page = _request(port, "GET", path, headers={})
    token = CSRF_FIELD.search(page.body)
    if page.status != 200 or token is None or shop.csrf_cookie not in page.cookies:
        raise BenchFailure(f"GET {path} answered {page.status} without a form and its CSRF cookie")
    return f"{shop.csrf_cookie}={page.cookies[shop.csrf_cookie]}", token.group(1)


def _form_post(port: int, path: str, *, origin: str, csrf_cookie: str, fields: dict[str, str]) -> Answer:
    # Over HTTPS Django checks the Origin against the host, as a browser's form post sends it.
    return _request(
        port,
        "POST",
        path,
        headers={
            "Cookie": csrf_cookie,
            "Origin": origin,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=urlencode(fields),
    )


def _sign_in(port: int, shop: Shop, origin: str) -> str:
    """Sign the demo agent in through the login form; the session's Cookie header, once the inbox
    answers it."""
    csrf_cookie, token = _form(port, "/accounts/login/", shop)
    fields = {"username": "agent", "password": shop.agent_password, "csrfmiddlewaretoken": token}
    answer = _form_post(port, "/accounts/login/", origin=origin, csrf_cookie=csrf_cookie, fields=fields)
    if answer.status != 302 or shop.session_cookie not in answer.cookies:
        raise BenchFailure(f"signing the agent in answered {answer.status}: {answer.body[:300]}")
    cookie = f"{shop.session_cookie}={answer.cookies[shop.session_cookie]}"
    inbox = _request(port, "GET", "/console/inbox/", headers={"Cookie": cookie})
    if inbox.status != 200:
        raise BenchFailure(f"the signed-in agent's inbox answered {inbox.status}")
    return cookie


def _tracking_form(port: int, shop: Shop, origin: str) -> tuple[str, str]:
    """The CSRF cookie and token the lookups post with, once one lookup has led to its order's page."""
    csrf_cookie, token = _form(port, "/track/", shop)
    number, email = shop.trackable[0]
    fields = {"csrfmiddlewaretoken": token, "number": number, "email": email}
    found = _form_post(port, "/track/", origin=origin, csrf_cookie=csrf_cookie, fields=fields)
    if found.status != 302 or shop.session_cookie not in found.cookies:
        raise BenchFailure(f"looking order {number} up answered {found.status}: {found.body[:300]}")
    session = f"{shop.session_cookie}={found.cookies[shop.session_cookie]}"
    page = _request(port, "GET", found.location, headers={"Cookie": f"{csrf_cookie}; {session}"})
    if page.status != 200 or 'id="items-title"' not in page.body:
        raise BenchFailure(f"order {number}'s page at {found.location} answered {page.status}")
    return csrf_cookie, token


# --- wrk -------------------------------------------------------------------------------------------


@dataclass
class Stream:
    label: str
    script: str
    connections: int
    args: list[str] = field(default_factory=list)


@dataclass
class StreamResult:
    label: str
    connections: int
    requests: int
    seconds: float
    ok: int
    socket_errors: dict[str, int]
    unexpected: dict[str, int]
    latency_ms: dict[str, float]
    extra: dict

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values()) + sum(self.unexpected.values())


def _wrk_missing() -> bool:
    if shutil.which("wrk"):
        return False
    print(
        "FAILED: the load benchmark drives the server with wrk, which is not installed. Install it from "
        "your distribution's packages (Debian, Ubuntu: `apt-get install wrk`) and run it again."
    )
    return True


def _phase(streams: list[Stream], *, port: int, seconds: int, workdir: Path, name: str) -> list[StreamResult]:
    """Run one wrk process per stream, all at once, for `seconds`; each one's figures."""
    env = {**os.environ, "LUA_PATH": f"{WRK_SCRIPTS}/?.lua;;"}
    running = []
    try:
        for index, stream in enumerate(streams):
            output = workdir / f"{name}-{index}.out"
            with open(output, "wb") as out:
                process = subprocess.Popen(
                    [
                        "wrk",
                        "--threads",
                        "1",
                        "--connections",
                        str(stream.connections),
                        "--duration",
                        f"{seconds}s",
                        "--timeout",
                        WRK_TIMEOUT,
                        "--script",
                        str(WRK_SCRIPTS / f"{stream.script}.lua"),
                        f"http://127.0.0.1:{port}",
                        "--",
                        *stream.args,
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            running.append((stream, process, output))
        for _, process, _ in running:
            process.wait(timeout=seconds + 60)
    finally:
        for _, process, _ in running:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [_result(stream, process.returncode, output) for stream, process, output in running]


def _result(stream: Stream, returncode: int, output: Path) -> StreamResult:
    text = output.read_text(errors="replace")
    line = next((line for line in text.splitlines() if line.startswith("LOAD-RESULT ")), None)
    if returncode != 0 or line is None:
        raise BenchFailure(f"wrk for {stream.label} exited with {returncode}:\n{text[-2000:]}")
    found = json.loads(line.removeprefix("LOAD-RESULT "))
    result = StreamResult(
        label=stream.label,
        connections=stream.connections,
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        ok=found["ok"],
        socket_errors=found["socket_errors"],
        unexpected=found["unexpected"],
        latency_ms={name: value / 1000 for name, value in found["latency_us"].items()},
        extra=found["extra"],
    )
    answered = result.ok + sum(result.unexpected.values())
    # wrk's own count of answers over 399 is part of the stream's count of answers it did not expect.
    if answered != result.requests or found["non_2xx_3xx"] > sum(result.unexpected.values()):
        raise BenchFailure(
            f"{stream.label}: wrk counted {result.requests} answers ({found['non_2xx_3xx']} non-2xx/3xx), "
            f"the script {answered} ({sum(result.unexpected.values())} unexpected)"
        )
    return result


def _mix(
    shop: Shop, *, connections: int, run: str, inbox_cookie: str, csrf_cookie: str, origin: str, files: Path
) -> list[Stream]:
    share = [connections // 3 + (1 if index < connections % 3 else 0) for index in range(3)]
    return [
        Stream(
            "mix: POST /api/v1/orders/",
            "orders",
            share[0],
            [run, str(files / "customers.txt"), shop.token],
        ),
        Stream(
            "mix: /track/ lookup, then the page",
            "track",
            share[1],
            [str(files / "lookups.txt"), csrf_cookie, origin, shop.session_cookie],
        ),
        Stream("mix: GET /console/inbox/", "inbox", share[2], [inbox_cookie]),
    ]


# --- Checking what landed --------------------------------------------------------------------------


def _check_orders(database: BenchDatabase, ingest: StreamResult, run: str) -> tuple[str, list[str]]:
    """Every order answered 201 is in the database exactly once, and any other order of the run is one
    whose request wrk still had in flight when the phase ended (wrk stops without waiting for those
    answers; the server completes them all the same)."""
    created = list(ingest.extra.get("created") or [])
    stored = dict(
        database.rows(
            "SELECT external_id, count(*) FROM orders_order WHERE starts_with(external_id, %s) GROUP BY 1",
            [f"{run}-O-"],
        )
    )
    answered_201 = set(created)
    once = sum(1 for external_id in answered_201 if stored.get(external_id) == 1)
    # wrk builds one request before the run to check the script, and never sends it.
    in_flight = ingest.extra["sent"] - 1 - ingest.requests
    unanswered = len(set(stored) - answered_201)
    problems = []
    if len(answered_201) != len(created):
        problems.append(f"orders: {len(created) - len(answered_201)} external ids answered 201 twice")
    if once != len(created):
        missing = sum(1 for external_id in answered_201 if external_id not in stored)
        problems.append(
            f"orders: of {len(created)} answered 201, {missing} are not in the database and "
            f"{len(answered_201) - once - missing} are there more than once"
        )
    if unanswered > in_flight:
        problems.append(
            f"orders: {unanswered} orders in the database were never answered, more than the "
            f"{in_flight} requests in flight when wrk stopped"
        )
    said = (
        f"Orders: {len(created):,} answered 201 to the ingestion stream; {once:,} of them are in the "
        f"database, each exactly once ({'equal' if once == len(created) else 'NOT EQUAL'}). The database "
        f"holds {unanswered} more orders of the run, from the {in_flight} requests still in flight when wrk "
        "stopped (it stops without reading their answers; the server completes them)."
    )
    return said, problems


def _delete_cache_keys(queue: RedisQueue, prefix: str) -> None:
    keys = list(queue.client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        queue.client.delete(*keys[start : start + 1000])


# --- The benchmark ---------------------------------------------------------------------------------


def _redis_url() -> str:
    server = urlsplit(os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    return urlunsplit(server._replace(path=f"/{REDIS_DB}"))


def _run(options: argparse.Namespace) -> int:
    if _wrk_missing():
        return 1
    load_before = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    run = f"load{secrets.token_hex(3)}"
    database, queue, env = bench_setup(options.database, QUEUE, redis_url=_redis_url())
    cache_prefix = f"carecrm-bench-{run}"
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="carecrm-bench-load-") as workdir_name:
        workdir = Path(workdir_name)
        env = {
            **env,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CARECRM_SITE_URL": "https://127.0.0.1",
            # The requests come through a proxy (wrk plays it) that names each client.
            "CARECRM_TRUSTED_PROXY_HOPS": "1",
            "CARECRM_VAR_DIR": str(workdir / "var"),
            "BENCH_CACHE_KEY_PREFIX": cache_prefix,
        }
        database.recreate()
        try:
            shop = _generate(options, env, database)
            (workdir / "customers.txt").write_text("\n".join(shop.customer_ids) + "\n")
            # One gthread worker per core, with threads (as the Procfile and the Dockerfile run it): a
            # sync worker closes every connection after one answer, where a browser, a store's client
            # and wrk keep theirs open; and while one thread of a worker waits on PostgreSQL or Redis
            # another can use the core.
            with Gunicorn(env=env, workers=cores, threads=options.server_threads) as server:
                try:
                    results = _load(options, server.port, shop, run=run, workdir=workdir, queue=queue)
                except BenchFailure:
                    print(f"gunicorn's log ends:\n{server.log_tail()}")
                    raise
            ceiling, mix, published = results
            ingest = mix[0]
            said, found = _check_orders(database, ingest, run)
            problems += found
        finally:
            try:
                _delete_cache_keys(queue, cache_prefix)
            finally:
                bench_cleanup(database, queue, user_pk=None, keep=options.keep)

    _report(
        options,
        ceiling,
        mix,
        cores=cores,
        published=published,
        orders_said=said,
        tracked_orders=len(shop.trackable),
    )
    for result in [ceiling, *mix]:
        if result.errors:
            details = [f"{what}: {count}" for what, count in sorted(result.unexpected.items())]
            details += [f"socket {kind}: {count}" for kind, count in result.socket_errors.items() if count]
            problems.append(f"{result.label}: {result.errors} errors ({', '.join(details)})")
            if "429" in result.unexpected and "track" in result.label:
                problems.append(
                    "429 on /track/: lookups of one order number past its limit (orders/views.py); "
                    "generate more orders (--customers) or run shorter phases (--seconds)"
                )
    print_load_note(load_before)
    return verdict(problems)


def _load(
    options: argparse.Namespace, port: int, shop: Shop, *, run: str, workdir: Path, queue: RedisQueue
) -> tuple[StreamResult, list[StreamResult], int]:
    origin = f"https://127.0.0.1:{port}"
    inbox_cookie = _sign_in(port, shop, origin)
    csrf_cookie, token = _tracking_form(port, shop, origin)
    lookups = [
        urlencode({"csrfmiddlewaretoken": token, "number": number, "email": email})
        for number, email in shop.trackable
    ]
    (workdir / "lookups.txt").write_text("\n".join(lookups) + "\n")
    print(
        f"gunicorn on 127.0.0.1:{port}: {options.connections} connections against {os.cpu_count()} workers "
        f"x {options.server_threads} threads, {options.seconds}s a phase; {len(shop.trackable)} orders to "
        f"track, {len(shop.customer_ids)} customers ordering",
        flush=True,
    )
    mix = partial(
        _mix,
        shop,
        connections=options.connections,
        inbox_cookie=inbox_cookie,
        csrf_cookie=csrf_cookie,
        origin=origin,
        files=workdir,
    )
    warm = _phase(mix(run=f"{run}w"), port=port, seconds=WARM_UP_SECONDS, workdir=workdir, name="warm")
    failing = [
        f"{result.label}: {result.unexpected} {result.socket_errors}" for result in warm if result.errors
    ]
    if failing:
        raise BenchFailure("errors while warming up: " + "; ".join(failing))
    ceiling_stream = Stream("ceiling: GET /bench/ceiling/", "ceiling", options.connections)
    (ceiling,) = _phase([ceiling_stream], port=port, seconds=options.seconds, workdir=workdir, name="ceiling")
    print(f"ceiling: {ceiling.rate:.0f} requests/s", flush=True)
    queued_before = queue.length()
    mixed = _phase(mix(run=run), port=port, seconds=options.seconds, workdir=workdir, name="mix")
    published = queue.length() - queued_before
    print("mix: " + ", ".join(f"{result.rate:.0f}" for result in mixed) + " requests/s", flush=True)
    return ceiling, mixed, published


def _report(
    options: argparse.Namespace,
    ceiling: StreamResult,
    mix: list[StreamResult],
    *,
    cores: int,
    published: int,
    orders_said: str,
    tracked_orders: int,
) -> None:
    def row(result: StreamResult) -> list[str]:
        return [
            result.label,
            str(result.connections),
            f"{result.requests:,}",
            f"{result.rate:.0f}",
            f"{result.rate / cores:.0f}",
            f"{result.latency_ms['p50']:.1f}",
            f"{result.latency_ms['p95']:.1f}",
            f"{result.latency_ms['p99']:.1f}",
            str(result.errors),
            ratio(result.rate / ceiling.rate),
        ]

    mix_rate = sum(result.rate for result in mix)
    total = [
        "mix: all three",
        str(sum(result.connections for result in mix)),
        f"{sum(result.requests for result in mix):,}",
        f"{mix_rate:.0f}",
        f"{mix_rate / cores:.0f}",
        "-",
        "-",
        "-",
        str(sum(result.errors for result in mix)),
        ratio(mix_rate / ceiling.rate),
    ]
    headers = ["phase: stream", "conns", "requests", "req/s", "req/s/core", "p50 ms", "p95 ms", "p99 ms"]
    print()
    print(format_table([*headers, "errors", "x ceiling"], [row(ceiling), *[row(r) for r in mix], total]))
    track = mix[1]
    print()
    print(
        f"The mix serves {mix_rate:.0f} requests/s, {ratio(mix_rate / ceiling.rate)} of the ceiling's "
        f"{ceiling.rate:.0f} (the same gunicorn, {options.connections} connections in both phases; "
        f"req/s/core: over the machine's {cores} cores). The tracking stream's requests are lookups (a "
        f"form post answered with a redirect and a new session) and order pages, alternately: "
        f"{track.extra['lookups']:,} lookups found their order among {tracked_orders:,} orders with a "
        "shipment, each looked up from a client address of its own."
    )
    print(orders_said)
    print(
        f"Celery tasks published to Redis during the mix: {published:,} (nothing consumes them here; every "
        "change is an Event row first, so the figures include that outbox but not the workers' share)."
    )
    print(
        "Errors: wrk's socket errors (connect, read, write, timeouts over "
        f"{WRK_TIMEOUT}) plus every answer other than the one its request must get (201 with the order, a "
        "redirect to the order's page, the order's page, 200 for the inbox and the ceiling)."
    )
    print(
        f"Note: gunicorn ({cores} workers x {options.server_threads} threads), PostgreSQL, Redis and the "
        "wrk processes share this machine's cores; the ratios compare like with like."
    )
