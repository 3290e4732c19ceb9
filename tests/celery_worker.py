"""Pytest plugin (registered in tests/conftest.py): a broker queue of this test session's own, and real
Celery worker processes on it.

Every test session publishes to a fresh queue (and, on the embedded filesystem broker, a fresh folder),
so a worker from `make run` or from another test run never takes our messages, and messages left over
from this run never reach a later one. A test that needs a worker takes the `live_worker` fixture (one
worker process per test module) and is marked `worker` and `django_db(transaction=True)`, so that what it
writes is committed where the worker's own database connection can read it.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
T = TypeVar("T")

_session: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    queue = f"carecrm-test-{uuid.uuid4().hex[:12]}"
    broker_dir = Path(tempfile.mkdtemp(prefix="carecrm-broker-"))
    _session.update(queue=queue, broker_dir=str(broker_dir))
    # Subprocesses (the worker, `manage.py` runs) read these when their settings load.
    os.environ["CELERY_QUEUE"] = queue
    os.environ["CELERY_BROKER_DIR"] = str(broker_dir)

    import django.conf

    # pytest-django loads the settings in pytest_load_initial_conftests, before any conftest (and so this
    # plugin) is imported: this process has read the environment already and needs the same values set
    # on its loaded settings. The Celery app reads them lazily, on its first use.
    if django.conf.settings.configured:
        from carecrm.celery import app

        assert not app.configured, "the Celery app read its settings before the test session set them"
        settings = django.conf.settings
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        if settings.CELERY_BROKER_URL.startswith("filesystem:"):
            (broker_dir / "queue").mkdir()
            (broker_dir / "control").mkdir()
            settings.BROKER_DIR = broker_dir
            settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
                **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                "data_folder_in": str(broker_dir / "queue"),
                "data_folder_out": str(broker_dir / "queue"),
                "control_folder": str(broker_dir / "control"),
            }


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _session:
        return
    import django.conf

    settings = django.conf.settings
    if settings.configured and not settings.CELERY_BROKER_URL.startswith("filesystem:"):
        _delete_session_queue()
    shutil.rmtree(_session["broker_dir"], ignore_errors=True)


def _delete_session_queue() -> None:
    from carecrm.celery import app

    # The filesystem broker's folder goes with its temporary directory, but a Redis queue and its exchange
    # binding outlive the session. Only an app that was used can have declared them.
    if app.configured:
        try:
            with _broker_connection(app) as conn:
                # Declared first so that the delete finds the binding to remove along with the queue.
                queue = app.amqp.queues[_session["queue"]](conn.default_channel)
                queue.declare()
                queue.delete()
        except Exception as exc:
            sys.stderr.write(f"could not delete the test queue {_session['queue']}: {exc!r}\n")


@contextlib.contextmanager
def _broker_connection(app):
    # kombu retries a connection forever by default; a test run must not hang on a dead broker.
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=2, interval_start=0.2, interval_step=0.5, timeout=3)
        yield conn


def session_queue() -> str:
    """The queue this test session publishes to and its worker consumes."""
    return _session["queue"]


class WorkerProcess:
    """`celery worker` in its own process, its output collected line by line for the tests to wait on."""

    def __init__(self, *, queue: str, env: dict[str, str]):
        self.queue = queue
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._output_closed = False
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "carecrm",
                "worker",
                "--pool",
                "solo",  # tasks run in this very process, so its pid is the one that handles them
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read_output, name="celery-worker-output", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def process_name(self) -> str:
        """How lifecycle's EventHandling.handled_by names this process."""
        return f"{socket.gethostname()}:{self.pid}"

    def _read_output(self) -> None:
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._output_closed = True
            self._changed.notify_all()

    def output(self, last: int = 80) -> str:
        with self._changed:
            return "\n".join(self.lines[-last:])

    def _fail(self, message: str) -> None:
        pytest.fail(f"{message}\n--- worker output (last lines) ---\n{self.output()}", pytrace=False)

    def wait_for_line(self, predicate: Callable[[str], bool], *, what: str, timeout: float) -> str:
        """The first line of output (from the start) that satisfies `predicate`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        checked = 0
        with self._changed:
            while True:
                for line in self.lines[checked:]:
                    if predicate(line):
                        return line
                checked = len(self.lines)
                if self._output_closed:
                    self._fail(f"worker exited (code {self.process.wait()}) before {what}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._fail(f"no {what} within {timeout:.0f}s")
                self._changed.wait(remaining)

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        self.wait_for_line(
            lambda line: line.endswith(" ready."), what="'ready' from the worker", timeout=timeout
        )

    def wait_for_task(self, task_id: str, *, timeout: float = 30.0) -> str:
        """Wait until the worker has run the task with this id; fail unless it succeeded.
        Returns the worker's line about it, which ends with what the task returned."""
        # Celery's lines: "Task <name>[<id>] received", then "... succeeded in <s>s: <value>" or the failure.
        tag = f"[{task_id}] "
        line = self.wait_for_line(
            lambda line: tag in line and not line.endswith(tag + "received"),
            what=f"outcome of task {task_id}",
            timeout=timeout,
        )
        if tag + "succeeded in " not in line:
            self._fail(f"task {task_id} did not succeed: {line}")
        return line

    def wait_until(self, condition: Callable[[], T], *, what: str, timeout: float = 30.0) -> T:
        """Poll `condition` until it returns something true; fail early if the worker dies."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if self.process.poll() is not None:
                self._fail(f"worker exited (code {self.process.returncode}) while waiting for {what}")
            if time.monotonic() >= deadline:
                self._fail(f"{what} did not happen within {timeout:.0f}s")
            time.sleep(0.1)

    def stop(self, timeout: float = 20.0) -> None:
        if self.process.poll() is None:
            # SIGTERM is Celery's warm shutdown: the task in hand finishes and is acknowledged.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL (django-environ) for the database this connection settings dict points at."""
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine == "django.db.backends.sqlite3":
        if not name or name == ":memory:" or str(name).startswith("file:"):
            raise RuntimeError("a worker process cannot share an in-memory SQLite database")
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        credentials = quote(settings_dict.get("USER") or "", safe="")
        if settings_dict.get("PASSWORD"):
            credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
        host = quote(settings_dict.get("HOST") or "", safe="")
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{credentials}@{host}{port}/{quote(name, safe='')}"
    raise RuntimeError(f"no worker support for database engine {engine}")


def _purge_session_queue() -> None:
    from carecrm.celery import app

    with _broker_connection(app) as conn:
        conn.default_channel.queue_purge(session_queue())


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker process of this session: the test database (call it once
    django_db_setup has run, when the connection points there), the session's queue and broker folder,
    and `extra` on top."""
    from django.db import connection

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carecrm.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_QUEUE": session_queue(),
        "CELERY_BROKER_DIR": _session["broker_dir"],
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


# One worker per test module, stopped after it: a worker left running would take the messages of later
# modules' transactional tests and dispatch their events behind their backs.
@pytest.fixture(scope="module")
def _live_worker_process(django_db_setup) -> Iterator[WorkerProcess]:

    # Whatever earlier tests published was meant for no worker: start on an empty queue.
    _purge_session_queue()
    worker = WorkerProcess(queue=session_queue(), env=worker_env())
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def live_worker(_live_worker_process: WorkerProcess) -> WorkerProcess:
    """A real `celery worker` process consuming this session's queue, against the test database."""
    if _live_worker_process.process.poll() is not None:
        _live_worker_process._fail("the worker process has died")
    return _live_worker_process


@contextlib.contextmanager
def broker_unreachable() -> Iterator[None]:
    """This process's Celery app publishes to a broker address where nothing answers.

    A bound socket that never listens holds the port, so connections to it are refused at once and no
    other program can start listening there meanwhile.
    """
    from carecrm.celery import app

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        saved_url = app.conf.broker_url
        app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
        _reset_publisher_pools(app)
        try:
            yield
        finally:
            app.conf.broker_url = saved_url
            _reset_publisher_pools(app)


def _reset_publisher_pools(app) -> None:
    # The app holds on to its connection and producer pools; dropping its references makes the next
    # publish look them up again for the broker_url of the moment. The pools themselves live on in kombu's
    # registry, keyed by broker, so the healthy one is found again (not closed: a closed pool stays closed).
    app._pool = None
    app.amqp._producer_pool = None
