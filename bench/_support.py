"""Machinery the benchmarks share: a throwaway PostgreSQL database, the app under gunicorn, the Redis
queue its tasks go to, and a runner that drives one pass of work from several threads and times it."""

import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import redis
from psycopg2 import sql

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
SETTINGS = "carecrm.settings.base"


class BenchFailure(Exception):
    """The benchmark could not run or its results are wrong; the message says which."""


# --- PostgreSQL -------------------------------------------------------------------------------------


class BenchDatabase:
    """A database of its own on the server DATABASE_URL names (only its server part is used), dropped and
    created afresh so every run starts from the same empty state."""

    def __init__(self, name: str, server_url: str | None = None):
        self.name = name
        parts = urlsplit(server_url or os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL)
        if not parts.scheme.startswith("postgres"):
            raise BenchFailure(f"DATABASE_URL must name a PostgreSQL server, not {parts.scheme}://")
        self._parts = parts
        self.url = urlunsplit(parts._replace(path=f"/{name}"))

    def _admin(self):
        conn = psycopg2.connect(urlunsplit(self._parts._replace(path="/postgres")))
        conn.autocommit = True
        return conn

    def recreate(self) -> None:
        with closing(self._admin()) as conn, conn.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def drop(self) -> None:
        with closing(self._admin()) as conn, conn.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def connect(self, *, autocommit: bool = True):
        conn = psycopg2.connect(self.url)
        conn.autocommit = autocommit
        return conn

    def scalar(self, query: str, params: Iterable[Any] = ()) -> Any:
        with closing(self.connect()) as conn, conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchone()[0]

    def rows(self, query: str, params: Iterable[Any] = ()) -> list[tuple]:
        with closing(self.connect()) as conn, conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def execute(self, query: str) -> None:
        with closing(self.connect()) as conn, conn.cursor() as cursor:
            cursor.execute(query)

    def server_version(self) -> str:
        """The server's version; also the first check that the server answers at all."""
        try:
            with closing(self._admin()) as conn, conn.cursor() as cursor:
                cursor.execute("SHOW server_version")
                return cursor.fetchone()[0].split()[0]
        except psycopg2.Error as exc:
            raise BenchFailure(f"PostgreSQL at {self.display_url()} does not answer: {exc}") from exc

    def display_url(self) -> str:
        """The URL without any password, fit for printing."""
        host = self._parts.hostname or "localhost"
        port = f":{self._parts.port}" if self._parts.port else ""
        user = f"{self._parts.username}@" if self._parts.username else ""
        return f"{self._parts.scheme}://{user}{host}{port}/{self.name}"


# --- The app ---------------------------------------------------------------------------------------


def app_env(*, database_url: str, redis_url: str, queue: str, **extra: str) -> dict[str, str]:
    """The environment the app runs with in a benchmark: production-like (DEBUG off, so no query log),
    its own database, and its Celery tasks published to a queue that nothing else reads."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "DEBUG": "false",
        # The benchmark talks to 127.0.0.1 whatever hosts the surrounding environment allows.
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(extra)
    return env


def django_in_process(env: dict[str, str]) -> None:
    """Set this process up as the app with `env` (from app_env), to call services directly. Once per
    process: Django cannot be set up twice."""
    import django
    from django.conf import settings

    if settings.configured:
        raise BenchFailure("Django is already set up in this process; run this benchmark on its own.")
    os.environ.update(env)
    django.setup()


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    """Run a manage.py command and return its standard output; fail with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        output = result.stdout[-2000:] + result.stderr[-2000:]
        raise BenchFailure(f"manage.py {args[0]} failed ({result.returncode}):\n{output}")
    return result.stdout


INTEGRATION_USER_SCRIPT = """
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

user = get_user_model().objects.create_user("bench-integration")
user.groups.add(Group.objects.get(name="integration"))
print(user.pk, Token.objects.create(user=user).key)
"""


def integration_user(env: dict[str, str]) -> tuple[str, str]:
    """Create the store's integration user in the app's database; return its pk and API token."""
    user_pk, token = manage("shell", "-c", INTEGRATION_USER_SCRIPT, env=env).split()[-2:]
    return user_pk, token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A server the benchmark starts (`start`, in a subclass) and stops, logging to a file of its own that
    is gone once it has stopped."""

    log_name = "server.log"

    def __init__(self, *, env: dict[str, str]):
        self.env = env
        self.process: subprocess.Popen | None = None
        self._log_dir = tempfile.TemporaryDirectory(prefix="carecrm-bench-")
        self.log_path = Path(self._log_dir.name) / self.log_name

    def start(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self._log_dir.cleanup()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Gunicorn(ServerProcess):
    """`gunicorn carecrm.wsgi` on a free local port, up once /healthz answers 200."""

    log_name = "gunicorn.log"

    def __init__(self, *, env: dict[str, str], workers: int, threads: int, boot_timeout: float = 60.0):
        super().__init__(env=env)
        self.workers = workers
        self.threads = threads
        self.boot_timeout = boot_timeout
        self.port = free_port()

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "carecrm.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                    # Several checkouts may run gunicorn at once; the control socket has one default path.
                    "--no-control-socket",
                    "--error-logfile",
                    "-",
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group, so that stopping it can never reach anything else.
                start_new_session=True,
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.boot_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchFailure(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                body = response.read().decode(errors="replace")
                conn.close()
                if response.status == 200:
                    return
                last = f"HTTP {response.status} {body[:300]}"
            except OSError as exc:
                last = f"{exc.__class__.__name__}: {exc}"
            time.sleep(0.1)
        raise BenchFailure(
            f"gunicorn not healthy after {self.boot_timeout:.0f}s ({last}):\n{self.log_tail()}"
        )


class ApiClient:
    """One keep-alive HTTP connection to the app, authenticated as the store's integration user. A
    benchmark's client says which harmless GET warms it up and what one unit of work sends."""

    warm_path = ""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def warm(self) -> None:
        # Authenticates and opens the server threads' database connections without writing anything.
        for _ in range(4):
            status, body = self.request("GET", self.warm_path)
            if status != 200:
                raise BenchFailure(f"warm-up GET answered HTTP {status}: {body[:300]!r}")

    def request(self, method: str, path: str, payload: Any = None) -> tuple[int, bytes]:
        body = None if payload is None else json.dumps(payload)
        self.conn.request(method, path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        return response.status, response.read()

    def reset(self) -> None:
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def close(self) -> None:
        self.conn.close()


# --- Redis -----------------------------------------------------------------------------------------


class RedisQueue:
    """The Celery queue the app under test publishes to. Nothing consumes it during a benchmark, so its
    length counts the tasks published; it is deleted before and after the run."""

    def __init__(self, url: str, name: str):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        self.name = name

    def check(self) -> None:
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise BenchFailure(f"Redis does not answer: {exc}") from exc

    def _keys(self) -> list[bytes]:
        # The queue itself, its priority sub-queues and kombu's binding set all carry the queue's name.
        return list(self.client.scan_iter(match=f"*{self.name}*", count=1000))

    def length(self) -> int:
        return sum(self.client.llen(key) for key in self._keys() if self.client.type(key) == b"list")

    def delete(self, *extra_keys: str) -> None:
        keys = [*self._keys(), *extra_keys]
        if keys:
            self.client.delete(*keys)


# --- Setting up and cleaning up ---------------------------------------------------------------------


def bench_setup(
    database_name: str, queue_name: str, *, redis_url: str | None = None
) -> tuple[BenchDatabase, RedisQueue, dict[str, str]]:
    """The bench database, the app's Celery queue (checked and emptied) and the app's environment. The
    app's Redis is BENCH_REDIS_URL (else the default) unless the benchmark names one of its own."""
    database = BenchDatabase(database_name)
    redis_url = redis_url or os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    queue = RedisQueue(redis_url, queue_name)
    env = app_env(
        database_url=database.url,
        redis_url=redis_url,
        queue=queue_name,
        # The store's bulk push must not be throttled, or the figure measures the throttle.
        API_THROTTLE_USER="1000000/minute",
    )
    print(
        f"Database {database.display_url()} (PostgreSQL {database.server_version()}), "
        f"queue {queue_name} in Redis",
        flush=True,
    )
    queue.check()
    queue.delete()
    return database, queue, env


def bench_cleanup(database: BenchDatabase, queue: RedisQueue, *, user_pk: str | None, keep: bool) -> None:
    # Nothing consumes the bench queue; its tasks name events of a database that is dropped now
    # (or kept for inspection, where `manage.py tick` sweeps them), so they must not linger.
    try:
        queue.delete(*([f":1:throttle_user_{user_pk}"] if user_pk else []))
    except redis.RedisError as exc:
        print(f"WARNING: could not delete the Redis queue {queue.name}: {exc}")
    if keep:
        print(f"Kept database {database.display_url()}")
    else:
        database.drop()


def run_main(run: Callable[[], int]) -> int:
    """A benchmark's exit status: a BenchFailure is reported as FAILED rather than a traceback."""
    try:
        return run()
    except BenchFailure as exc:
        print(f"FAILED: {exc}")
        return 1


# --- Running and timing a pass ---------------------------------------------------------------------


class Client(Protocol):
    """One thread's connection to the system under test."""

    def warm(self) -> None: ...

    def send(self, item: Any) -> str | None:
        """Do one unit of work; return None when it went as expected, else what went wrong."""

    def reset(self) -> None:
        """Reconnect after an exception left the connection in an unknown state."""

    def close(self) -> None: ...


@dataclass
class PassResult:
    label: str
    count: int
    seconds: float
    latencies: list[float] = field(repr=False)
    errors: list[str] = field(default_factory=list)
    # CPU time this process (the client threads) used during the pass: the client shares the machine.
    client_cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: float) -> float:
        return percentile(self.latencies, percent) * 1000

    @classmethod
    def combined(cls, label: str, passes: list["PassResult"]) -> "PassResult":
        return cls(
            label=label,
            count=sum(p.count for p in passes),
            seconds=sum(p.seconds for p in passes),
            latencies=[latency for p in passes for latency in p.latencies],
            errors=[error for p in passes for error in p.errors],
            client_cpu_seconds=sum(p.client_cpu_seconds for p in passes),
        )


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile: the smallest value at or above `percent`% of the values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def run_pass(label: str, items: list, *, threads: int, open_client: Callable[[], Client]) -> PassResult:
    """Send every item once, spread over `threads` threads that each hold one client. The clock runs
    from the moment every client is connected and warmed up until the last item is answered."""
    lock = threading.Lock()
    position = iter(range(len(items)))
    latencies: list[float] = []
    errors: list[str] = []
    finished_at: list[float] = []
    # Every worker and this thread; broken if a worker cannot connect, so nobody waits forever.
    start = threading.Barrier(threads + 1)

    def take() -> int | None:
        with lock:
            return next(position, None)

    def worker() -> None:
        try:
            client = open_client()
            client.warm()
        except Exception as exc:
            with lock:
                errors.append(f"connect: {exc.__class__.__name__}: {exc}")
            start.abort()
            return
        own: list[float] = []
        try:
            start.wait()
            while (index := take()) is not None:
                began = time.perf_counter()
                try:
                    problem = client.send(items[index])
                except Exception as exc:
                    problem = f"{exc.__class__.__name__}: {exc}"
                    client.reset()
                own.append(time.perf_counter() - began)
                if problem:
                    with lock:
                        errors.append(problem)
        except threading.BrokenBarrierError:
            return
        finally:
            client.close()
            with lock:
                latencies.extend(own)
                finished_at.append(time.perf_counter())

    pool = [threading.Thread(target=worker, name=f"{label}-{n}", daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        for thread in pool:
            thread.join()
        raise BenchFailure(f"{label}: clients could not connect: {'; '.join(errors[:3])}") from None
    began, cpu_began = time.perf_counter(), time.process_time()
    for thread in pool:
        thread.join()
    return PassResult(
        label=label,
        count=len(items),
        seconds=max(finished_at) - began,
        latencies=latencies,
        errors=errors,
        client_cpu_seconds=time.process_time() - cpu_began,
    )


def ratio(value: float) -> str:
    # Two significant digits: far below 1, 0.012 and 0.018 are different answers.
    return f"{value:.2g}" if value < 0.1 else f"{value:.2f}"


def print_load_note(load_before: float) -> None:
    if load_before > 1:
        print(
            f"Note: the machine's load average was {load_before:.1f} when the run began: other work was "
            "competing for the same cores, so these figures are noisier than usual."
        )


def ascii_slug(text: str) -> str:
    """Letters of `text` fit for an email address's local part."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]+", "", ascii_text) or "x"


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain text columns: the first left-aligned, the rest right-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
            for i, cell in enumerate(cells)
        )

    return "\n".join([line(headers), "  ".join("-" * width for width in widths), *map(line, rows)])


def verdict(problems: list[str]) -> int:
    """Print each problem found while checking a run and say whether its figures stand: 0 when there
    were none, 1 (the benchmark's exit status) when there were."""
    for problem in problems:
        print(f"WRONG {problem}")
    if problems:
        print("FAILED: the figures above are not to be trusted")
        return 1
    return 0
