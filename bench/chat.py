"""Live chat message round trips on 1,000 WebSockets, one uvicorn with Redis, against a bare echo.

And the server's memory per connection, a bare one's and a chat's.

Starts one uvicorn process (one worker, uvloop and httptools when installed) serving bench._chat_asgi:
the app's ASGI application (carecrm.asgi, production-like settings, this run's PostgreSQL database, the
channel layer in Redis) plus a bare echo consumer at `ws/echo/`. One client process (asyncio and the
`websockets` library, offering permessage-deflate as browsers do) then runs against that one server:

1. the baseline: --connections sockets to `ws/echo/`, opened --batch at a time and all held open; each
   then sends --messages frames shaped like a chat message, one every --interval seconds from a random
   offset within the first interval, and times each until the same frame comes back;
2. the chat: as many visitor sockets to `ws/chat/` (the widget's: no cookies, the site's Origin), each
   saying hello and starting a chat: a `chat` ticket, its first message, the chat's group in the
   channel layer. The start row times each start until that first message comes back; --batch sockets
   start at once, so its latency is mostly the wait behind the others of the batch. Then the echo
   sockets close and each visitor sends --messages chat messages at the same pace as the echo's,
   timing each until its own message comes back (matched by client_id): stored in PostgreSQL,
   broadcast to the chat's group through Redis, delivered to the socket.

The default pace, a message every 20 s from each of 1,000 visitors (50 a second in all), is a person
typing; a shorter --interval finds how many messages a second the process can take: past that, the
round trip measures the queue in front of it.

Memory per connection is the growth of the server's resident memory (VmRSS) from just before a phase's
sockets are opened until all of them are open (and, for the chat, started), over their number. Each
reading comes right after the server collected garbage and handed freed heap back (malloc_trim), and the
echo sockets stay open until the chat's are counted, so neither figure is memory the other freed. A few
sockets warm the server up before each first reading (the chat's only say hello: a start would add a
chat). The server's CPU time (utime + stime from /proc) is read around each timed pass.

Any `error` frame, a socket that fails to open or closes early, an answer not back within --timeout, or
an exception in uvicorn's log fails the run; so does the database afterwards not holding exactly one chat
per socket and connections x (messages + 1) chat messages, each client_id once.
"""

import argparse
import asyncio
import http.client
import json
import math
import os
import random
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import websockets
from websockets.asyncio.client import ClientConnection, connect

from bench._support import (
    DEFAULT_REDIS_URL,
    REPO,
    BenchDatabase,
    BenchFailure,
    RedisQueue,
    ServerProcess,
    bench_cleanup,
    bench_setup,
    free_port,
    manage,
    percentile,
    print_load_note,
    ratio,
    run_main,
    verdict,
)

QUEUE = "carecrm-bench-chat"
# A Redis database of its own: the channel layer's keys and the run's Celery tasks stay away from the
# other benchmarks' (2, 11) and from a developer's (0).
REDIS_DB = 7
# What the run leaves in its Redis database: channels_redis's keys (its default prefix) and the rate-limit
# counters of carecrm.ratelimit in Django's cache.
RUN_KEYS = ["asgi*", "*ratelimit:*"]
ASGI_APP = "bench._chat_asgi:application"
TRIM_PATH = "/bench/trim/"
# Read by bench._chat_asgi (which cannot import this module: it would drag the client's imports into
# the server): --layer-option pairs as a JSON object.
LAYER_OPTIONS_ENV = "BENCH_CHAT_LAYER_OPTIONS"
TEXT = "Hello! My parcel was due yesterday and the tracking page has not moved since Monday."
WARM_SOCKETS = 8
BOOT_TIMEOUT = 60.0
# The consumers refuse more than RATE_LIMIT frames per socket in RATE_WINDOW seconds (30 in 10 s); a
# socket here sends hello, start and its messages, so this many messages can never reach it.
MAX_MESSAGES = 25
# uvicorn's line for an exception that escaped a consumer (its socket is closed).
ASGI_EXCEPTION = "Exception in ASGI application"
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*$")
# What the exceptions seen so far mean, by a piece of their last line.
KNOWN_EXCEPTIONS = {
    "Timeout reading from": (
        "redis-py 8 gives its connections a 5 s socket_timeout by default, no longer than the BZPOPMIN "
        "with which channels_redis waits for the layer's next message (5 s); when the layer is idle the "
        "read can time out first, and the consumer that was waiting dies with its socket "
        "(django/channels_redis#422). The layer's hosts need a longer socket_timeout, e.g. "
        "--layer-option socket_timeout=30 here."
    ),
    "MaxConnectionsError": (
        "redis-py 8 caps an asyncio connection pool at 100 connections and raises past that instead of "
        "waiting; more sockets than that touching the layer at once (here: closing, each leaving its "
        "chat's group) fail. The layer's hosts need a larger max_connections, e.g. "
        "--layer-option max_connections=10000 here."
    ),
}


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench chat", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--connections", type=int, default=1000, help="sockets held open in each phase (default 1000)"
    )
    parser.add_argument(
        "--messages", type=int, default=2, help="messages each socket sends in each phase (default 2)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=20.0,
        help="seconds between one socket's messages (default 20: a person typing)",
    )
    parser.add_argument("--batch", type=int, default=100, help="sockets opened at once (default 100)")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds an answer may take before it is an error"
    )
    parser.add_argument(
        "--no-deflate", action="store_true", help="do not offer permessage-deflate (browsers do)"
    )
    parser.add_argument(
        "--layer-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a redis-py connection option for the channel layer's pool in the server, added to the "
        "app's settings for this run (e.g. socket_timeout=30, max_connections=10000); repeatable",
    )
    parser.add_argument(
        "--database", default="carecrm_bench_chat", help="bench database name (default carecrm_bench_chat)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    if options.connections < 1 or options.batch < 1:
        parser.error("--connections and --batch must be at least 1")
    if not 1 <= options.messages <= MAX_MESSAGES:
        parser.error(f"--messages must be 1 to {MAX_MESSAGES}: more would trip the consumers' rate limit")
    if options.interval <= 0 or options.timeout <= 0:
        parser.error("--interval and --timeout must be positive")
    try:
        options.layer_options = dict(_layer_option(pair) for pair in options.layer_option)
    except ValueError as exc:
        parser.error(str(exc))
    return options


def _layer_option(pair: str) -> tuple[str, object]:
    key, sign, value = pair.partition("=")
    if not sign or not key.isidentifier():
        raise ValueError(f"--layer-option takes KEY=VALUE, not {pair!r}")
    if value.lower() in ("none", "null"):
        return key, None
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def main(argv: list[str]) -> int:
    options = _parse(argv)
    return run_main(partial(_run, options))


# --- The process limits ----------------------------------------------------------------------------


def _raise_open_files_limit() -> None:
    """Every socket is a file descriptor on both sides: the soft limit (often 1024) goes up to the hard
    one. Also the server's preexec_fn."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _check_open_files_limit(connections: int) -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Both phases' sockets are open at once for a while, plus the interpreter's own files.
    needed = 2 * connections + WARM_SOCKETS + 200
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise BenchFailure(
            f"{connections} connections need about {needed} open files, and the hard limit is {soft}: "
            "raise it (ulimit -Hn) or run fewer --connections"
        )


# --- The server ------------------------------------------------------------------------------------


def _has_module(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


class Uvicorn(ServerProcess):
    """One uvicorn process serving bench._chat_asgi on `port`, up once /healthz answers 200; reads its
    resident memory and CPU time from /proc, and the exceptions it logged."""

    log_name = "uvicorn.log"

    def __init__(self, *, env: dict[str, str], port: int):
        super().__init__(env=env)
        self.port = port
        self.loop = "uvloop" if _has_module("uvloop") else "asyncio"
        self.http = "httptools" if _has_module("httptools") else "h11"

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    ASGI_APP,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    # One worker runs in uvicorn's own process, so its pid is the one to measure.
                    "--workers",
                    "1",
                    "--ws-max-size",
                    "65536",
                    "--loop",
                    self.loop,
                    "--http",
                    self.http,
                    # A batch of sockets arrives at once; the kernel caps this at net.core.somaxconn.
                    "--backlog",
                    "4096",
                    # A consumer still inside the channel layer's receive when its socket closes can keep
                    # uvicorn waiting on it at shutdown (as long as the layer's socket_timeout).
                    "--timeout-graceful-shutdown",
                    "5",
                    "--log-level",
                    "warning",
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_raise_open_files_limit,
                # Its own process group, so that stopping it can never reach anything else.
                start_new_session=True,
            )
        self._wait_healthy()

    def _get(self, path: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + BOOT_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchFailure(f"uvicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                status = self._get("/healthz")
                if status == 200:
                    return
                last = f"HTTP {status}"
            except OSError as exc:
                last = f"{exc.__class__.__name__}: {exc}"
            time.sleep(0.1)
        raise BenchFailure(f"uvicorn not healthy after {BOOT_TIMEOUT:.0f}s ({last}):\n{self.log_tail()}")

    def settled_rss_kib(self) -> int:
        """Resident memory once the server has collected garbage and returned freed heap."""
        status = self._get(TRIM_PATH)
        if status != 204:
            raise BenchFailure(f"GET {TRIM_PATH} answered {status}")
        return self.rss_kib()

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise BenchFailure("no VmRSS in /proc: memory per connection needs Linux")

    def cpu_seconds(self) -> float:
        # Fields 14 and 15 of /proc/<pid>/stat (user and system time of all its threads), counted after
        # the command name, which may itself hold spaces.
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def exceptions(self) -> Counter:
        """Each exception that escaped a consumer, by its last line (type and message)."""
        found: Counter = Counter()
        lines = self.log_path.read_text(errors="replace").splitlines()
        starts = [number for number, line in enumerate(lines) if ASGI_EXCEPTION in line]
        # Each report runs until the next one begins, the last one to the end of the log.
        for start, end in pairwise([*starts, len(lines)]):
            last = [line for line in lines[start + 1 : end] if EXCEPTION_LINE.match(line)]
            found[last[-1][:200] if last else "(no exception line)"] += 1
        return found


# --- The client ------------------------------------------------------------------------------------


@dataclass
class Pass:
    """One timed kind of round trip over every socket of a phase."""

    label: str
    connections: int
    expected: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # From the first send to the last answer, and the server's CPU time in between.
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, percent: float) -> float:
        return percentile(self.latencies, percent) * 1000


@dataclass
class Memory:
    label: str
    connections: int
    before_kib: int
    open_kib: int

    @property
    def per_connection_kib(self) -> float:
        return (self.open_kib - self.before_kib) / self.connections if self.connections else math.nan


@dataclass
class Results:
    echo: Pass
    started: Pass
    chat: Pass
    echo_memory: Memory
    chat_memory: Memory
    first_rss_kib: int
    last_rss_kib: int


@dataclass
class Visitor:
    """One widget's socket with its chat started."""

    index: int
    socket: ClientConnection
    chat_id: int


class Client:
    """The sockets of one run, all from this process's event loop."""

    def __init__(self, server: Uvicorn, options: argparse.Namespace, *, run: str, origin: str):
        self.server = server
        self.options = options
        self.run = run
        self.origin = origin
        self.base = f"ws://127.0.0.1:{server.port}"
        self.rng = random.Random(7)
        self.extensions: set[str] = set()

    async def phases(self) -> Results:
        count, messages = self.options.connections, self.options.messages

        # The baseline: echo sockets opened and timed; they stay open while the chat's are counted.
        await self._warm("/ws/echo/", self._echo_round_trip)
        first_rss = await self._settled_rss()
        began = time.perf_counter()
        echo_sockets, open_errors = await self._open_all(count, lambda index: self._connect("/ws/echo/"))
        echo_memory = Memory("echo", len(echo_sockets), first_rss, await self._settled_rss())
        self._said(f"echo: {len(echo_sockets)} sockets open", time.perf_counter() - began)
        echo = await self._paced(
            "echo: bare consumer", list(enumerate(echo_sockets)), self._echo_converse, count * messages
        )
        echo.errors[:0] = open_errors
        self._said(f"echo: {len(echo.latencies)} round trips", echo.seconds)

        # The chat: visitors open their sockets and start their chats, then talk.
        await self._warm("/ws/chat/", lambda socket, client_id: self._hello(socket))
        before = await self._settled_rss()
        start_latencies: list[float] = []
        cpu_before, began = self.server.cpu_seconds(), time.perf_counter()
        visitors, open_errors = await self._open_all(count, partial(self._visitor, latencies=start_latencies))
        started = Pass(
            "chat: hello + start (opens a ticket)",
            len(visitors),
            count,
            latencies=start_latencies,
            errors=open_errors,
            seconds=time.perf_counter() - began,
            server_cpu_seconds=self.server.cpu_seconds() - cpu_before,
        )
        chat_memory = Memory("chat (started)", len(visitors), before, await self._settled_rss())
        self._said(f"chat: {len(visitors)} sockets open, each with its chat started", started.seconds)
        await self._close_all(echo_sockets)
        chat = await self._paced("chat: message", visitors, self._chat_converse, count * messages)
        self._said(f"chat: {len(chat.latencies)} round trips", chat.seconds)
        await self._close_all([visitor.socket for visitor in visitors])
        return Results(echo, started, chat, echo_memory, chat_memory, first_rss, await self._settled_rss())

    # --- Sockets

    async def _connect(self, path: str, *, address: str | None = None) -> ClientConnection:
        """A socket to `path`; with `address`, as the proxy in front of the app would say it came from
        there (X-Forwarded-For)."""
        socket = await connect(
            self.base + path,
            origin=self.origin,
            additional_headers={"X-Forwarded-For": address} if address else None,
            compression=None if self.options.no_deflate else "deflate",
            max_size=65536,
            open_timeout=self.options.timeout,
            # Browsers send no pings; the server's own keep-alive pings still run.
            ping_interval=None,
            close_timeout=5,
            # Straight to 127.0.0.1 whatever proxy the environment names.
            proxy=None,
        )
        self.extensions.add(socket.response.headers.get("Sec-WebSocket-Extensions", "") or "none")
        return socket

    async def _receive(self, socket: ClientConnection, deadline: float) -> str:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError
        return await asyncio.wait_for(socket.recv(), remaining)

    async def _open_all(self, count: int, open_one: Callable[[int], Awaitable]) -> tuple[list, list[str]]:
        """`count` sockets opened --batch at a time: what each open_one returned, and what went wrong."""
        opened, errors = [], []
        for first in range(0, count, self.options.batch):
            indices = range(first, min(first + self.options.batch, count))
            results = await asyncio.gather(*(open_one(index) for index in indices), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    errors.append(f"open: {_describe(result)}")
                else:
                    opened.append(result)
        return opened, errors

    async def _close_all(self, sockets: list[ClientConnection]) -> None:
        for first in range(0, len(sockets), self.options.batch):
            batch = sockets[first : first + self.options.batch]
            await asyncio.gather(*(socket.close() for socket in batch), return_exceptions=True)
        # The server finishes its side (a chat socket leaves its group in Redis) before memory is read.
        await asyncio.sleep(1.0)

    async def _warm(self, path: str, exchange: Callable[[ClientConnection, str], Awaitable]) -> None:
        """A few sockets each with a few exchanges, so that the first readings of memory already include
        the server's connections to PostgreSQL and Redis, its thread pool and warm code paths."""
        sockets = [await self._connect(path) for _ in range(WARM_SOCKETS)]
        for number in range(3):
            await asyncio.gather(
                *(exchange(socket, f"{self.run}-w{n}-{number}") for n, socket in enumerate(sockets))
            )
        await self._close_all(sockets)

    async def _settled_rss(self) -> int:
        return await asyncio.to_thread(self.server.settled_rss_kib)

    def _said(self, what: str, seconds: float) -> None:
        print(f"{what} in {seconds:.1f}s", flush=True)

    # --- Paced round trips

    async def _paced(self, label: str, items: list, converse: Callable, expected: int) -> Pass:
        """Run `converse(item, send_at, latencies, errors)` for every item at once, each sending its
        --messages from a random offset within the first --interval, and time the whole pass."""
        latencies: list[float] = []
        errors: list[str] = []
        began = time.perf_counter() + 0.2
        cpu_before = self.server.cpu_seconds()
        finished = await asyncio.gather(
            *(
                converse(item, began + self.rng.uniform(0, self.options.interval), latencies, errors)
                for item in items
            )
        )
        return Pass(
            label,
            len(items),
            expected,
            latencies=latencies,
            errors=errors,
            seconds=max(finished, default=began) - began,
            server_cpu_seconds=self.server.cpu_seconds() - cpu_before,
        )

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)

    def _frame(self, client_id: str) -> str:
        # Shaped like the chat's message frame, so both phases send the same bytes.
        return json.dumps({"type": "message", "text": TEXT, "client_id": client_id})

    async def _echo_round_trip(self, socket: ClientConnection, client_id: str) -> float:
        frame = self._frame(client_id)
        began = time.perf_counter()
        await socket.send(frame)
        answer = await self._receive(socket, began + self.options.timeout)
        if answer != frame:
            raise BenchFailure(f"the echo answered {answer[:200]!r}")
        return time.perf_counter() - began

    async def _echo_converse(self, item, send_at: float, latencies: list, errors: list) -> float:
        index, socket = item
        for number in range(self.options.messages):
            await self._sleep_until(send_at + number * self.options.interval)
            try:
                latencies.append(await self._echo_round_trip(socket, f"{self.run}-e{index}-{number}"))
            except Exception as exc:
                errors.append(f"echo message: {_describe(exc)}")
                break
        return time.perf_counter()

    async def _chat_converse(self, visitor: Visitor, send_at: float, latencies: list, errors: list) -> float:
        for number in range(self.options.messages):
            await self._sleep_until(send_at + number * self.options.interval)
            client_id = f"{self.run}-c{visitor.index}-{number}"
            try:
                began = time.perf_counter()
                await visitor.socket.send(self._frame(client_id))
                await self._until_own_message(visitor.socket, client_id, began + self.options.timeout)
                latencies.append(time.perf_counter() - began)
            except Exception as exc:
                errors.append(f"chat message: {_describe(exc)}")
                break
        return time.perf_counter()

    # --- The widget's side of the chat

    async def _hello(self, socket: ClientConnection) -> None:
        deadline = time.perf_counter() + self.options.timeout
        await socket.send(json.dumps({"type": "hello", "visitor": f"{self.run}-{secrets.token_hex(8)}"}))
        welcome = json.loads(await self._receive(socket, deadline))
        if welcome.get("type") != "welcome":
            raise BenchFailure(f"hello answered {welcome}")

    async def _until_own_message(self, socket: ClientConnection, client_id: str, deadline: float) -> dict:
        """Read the socket until the chat's message with this client_id comes back; return what came
        before it. An error frame is a failure."""
        before: dict = {}
        while True:
            event = json.loads(await self._receive(socket, deadline))
            if event["type"] == "error":
                raise BenchFailure(f"answered error: {event.get('detail')}")
            if event["type"] == "message" and event["message"]["client_id"] == client_id:
                return before
            before[event["type"]] = event

    async def _visitor(self, index: int, *, latencies: list[float]) -> Visitor:
        """A widget's socket: hello, then start a chat and wait for `started` and its first message."""
        # An address of its own, as visitors have: new chats are limited per address.
        address = f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"
        socket = await self._connect("/ws/chat/", address=address)
        try:
            await self._hello(socket)
            client_id = f"{self.run}-c{index}-start"
            email = f"v{index}@bench.example"
            start = {"type": "start", "text": TEXT, "client_id": client_id, "email": email}
            began = time.perf_counter()
            await socket.send(json.dumps(start))
            before = await self._until_own_message(socket, client_id, began + self.options.timeout)
            latencies.append(time.perf_counter() - began)
            if "started" not in before:
                raise BenchFailure("the chat's first message came back before `started`")
            return Visitor(index, socket, before["started"]["chat"]["id"])
        except BaseException:
            await socket.close()
            raise


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "no answer in time"
    return f"{exc.__class__.__name__}: {exc}"[:300]


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


# --- Checking what landed --------------------------------------------------------------------------


def _check_database(database: BenchDatabase, options: argparse.Namespace, run: str) -> tuple[str, list[str]]:
    """One chat per socket, and every message the sockets sent (the start's and --messages each) stored
    exactly once."""
    expected_chats = options.connections
    expected_messages = options.connections * (options.messages + 1)
    chats = database.scalar("SELECT count(*) FROM tickets_chat")
    messages, distinct, of_run = database.rows(
        "SELECT count(*), count(DISTINCT (m.ticket_id, m.client_id)), "
        "count(*) FILTER (WHERE starts_with(m.client_id, %s)) "
        "FROM tickets_message m JOIN tickets_chat c ON c.ticket_id = m.ticket_id",
        [f"{run}-c"],
    )[0]
    problems = []
    if chats != expected_chats:
        problems.append(f"database: {chats} chats, not one per socket ({expected_chats})")
    if messages != expected_messages or of_run != expected_messages:
        problems.append(
            f"database: {messages} chat messages ({of_run} with this run's client ids), not "
            f"{options.connections} x ({options.messages} + 1) = {expected_messages}"
        )
    if distinct != messages:
        problems.append(f"database: {messages - distinct} chat messages stored more than once")
    said = (
        f"Database: {chats:,} chats (expected {expected_chats:,}); {messages:,} chat messages with "
        f"{distinct:,} distinct client ids (expected {expected_messages:,} = {options.connections:,} x "
        f"({options.messages} + 1))."
    )
    return said, problems


# --- The benchmark ---------------------------------------------------------------------------------


def _redis_url() -> str:
    server = urlsplit(os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    return urlunsplit(server._replace(path=f"/{REDIS_DB}"))


def _delete_run_keys(queue: RedisQueue) -> None:
    keys = [key for pattern in RUN_KEYS for key in queue.client.scan_iter(match=pattern, count=1000)]
    for start in range(0, len(keys), 1000):
        queue.client.delete(*keys[start : start + 1000])


def _run(options: argparse.Namespace) -> int:
    _raise_open_files_limit()
    _check_open_files_limit(options.connections)
    load_before = os.getloadavg()[0]
    run = f"chat{secrets.token_hex(3)}"
    print(
        f"Machine: {os.cpu_count()} CPUs, load average {load_before:.2f} at the start; Python "
        f"{sys.version.split()[0]}, websockets {websockets.__version__}",
        flush=True,
    )
    database, queue, env = bench_setup(options.database, QUEUE, redis_url=_redis_url())
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="carecrm-bench-chat-var-") as var_dir:
        env = {
            **env,
            "SECRET_KEY": secrets.token_urlsafe(50),
            # The visitor socket accepts the site's own origin: the widget's pages.
            "CARECRM_SITE_URL": origin,
            "CARECRM_VAR_DIR": var_dir,
            # The visitors come through a proxy (this client plays it) that names each one's address.
            "CARECRM_TRUSTED_PROXY_HOPS": "1",
            LAYER_OPTIONS_ENV: json.dumps(options.layer_options),
        }
        database.recreate()
        try:
            _delete_run_keys(queue)
            began = time.perf_counter()
            manage("migrate", "--noinput", env=env)
            print(f"Migrated in {time.perf_counter() - began:.0f}s", flush=True)
            with Uvicorn(env=env, port=port) as server:
                print(
                    f"uvicorn on 127.0.0.1:{port} (pid {server.pid}, --loop {server.loop}, --http "
                    f"{server.http}); {options.connections} sockets a phase, {options.messages} messages "
                    f"each, one every {options.interval:g}s"
                    + (f"; channel layer options {options.layer_options}" if options.layer_options else ""),
                    flush=True,
                )
                client = Client(server, options, run=run, origin=origin)
                try:
                    with _event_loop_runner() as runner:
                        results = runner.run(client.phases())
                except BenchFailure:
                    print(f"uvicorn's log ends:\n{server.log_tail()}")
                    raise
                server_exceptions = server.exceptions()
            said, found = _check_database(database, options, run)
            problems += found
        finally:
            try:
                _delete_run_keys(queue)
            finally:
                bench_cleanup(database, queue, user_pk=None, keep=options.keep)

    _report(options, results, extensions=client.extensions)
    print(said)
    for result in (results.echo, results.started, results.chat):
        if result.errors:
            problems.append(f"{result.label}: {len(result.errors)} errors ({_summary(result.errors)})")
        if len(result.latencies) != result.expected:
            problems.append(f"{result.label}: {len(result.latencies)} round trips of {result.expected}")
    if server_exceptions:
        kinds = "; ".join(f"{count} x {line}" for line, count in server_exceptions.most_common(5))
        problems.append(f"uvicorn: {server_exceptions.total()} exceptions escaped a consumer ({kinds})")
        for signature, hint in KNOWN_EXCEPTIONS.items():
            if any(signature in line for line in server_exceptions):
                print(f"Why: {hint}")
    print_load_note(load_before)
    return verdict(problems)


def _summary(errors: list[str]) -> str:
    return "; ".join(f"{count} x {error}" for error, count in Counter(errors).most_common(5))


def _times(value: float, baseline: float) -> str:
    return ratio(value / baseline) if baseline > 0 else "-"


def _markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A markdown table with its columns lined up: the first left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = [cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(cells)]
        return "| " + " | ".join(padded) + " |"

    # Markdown's alignment marks: the colon on the side the column is aligned to.
    marks = [":" + "-" * (widths[0] + 1)] + ["-" * (width + 1) + ":" for width in widths[1:]]
    rule = "|" + "|".join(marks) + "|"
    return "\n".join([line(headers), rule, *map(line, rows)])


def _report(options: argparse.Namespace, results: Results, *, extensions: set[str]) -> None:
    echo, chat = results.echo, results.chat

    def row(result: Pass) -> list[str]:
        trips = len(result.latencies)
        return [
            result.label,
            f"{result.connections:,}",
            f"{trips:,}",
            f"{result.rate:.0f}",
            f"{result.percentile_ms(50):.1f}",
            f"{result.percentile_ms(95):.1f}",
            f"{result.percentile_ms(99):.1f}",
            str(len(result.errors)),
            _times(result.percentile_ms(50), echo.percentile_ms(50)),
            _times(result.percentile_ms(99), echo.percentile_ms(99)),
            f"{result.server_cpu_seconds * 1000 / trips:.2f}" if trips else "-",
        ]

    headers = ["phase", "conns", "round trips", "per s", "p50 ms", "p95 ms", "p99 ms", "errors"]
    print()
    print(
        _markdown_table(
            [*headers, "p50 x echo", "p99 x echo", "server CPU ms each"],
            [row(echo), row(results.started), row(chat)],
        )
    )
    print()
    memory = [results.echo_memory, results.chat_memory]
    print(
        _markdown_table(
            ["sockets", "open", "RSS before MiB", "RSS all open MiB", "KiB per connection", "x echo"],
            [
                [
                    m.label,
                    f"{m.connections:,}",
                    f"{m.before_kib / 1024:.1f}",
                    f"{m.open_kib / 1024:.1f}",
                    f"{m.per_connection_kib:.1f}",
                    _times(m.per_connection_kib, results.echo_memory.per_connection_kib),
                ]
                for m in memory
            ],
        )
    )
    print()
    offered = options.connections / options.interval
    print(
        f"A chat message's round trip (stored in PostgreSQL, broadcast through the Redis channel layer, "
        f"back to its socket) takes {ratio(chat.percentile_ms(50) / echo.percentile_ms(50))}x the bare "
        f"echo's at p50 and {ratio(chat.percentile_ms(99) / echo.percentile_ms(99))}x at p99, on one "
        f"uvicorn process with {options.connections:,} sockets open. Each socket sent a message every "
        f"{options.interval:g}s, about {offered:.0f} a second in all; 'per s' is round trips over the "
        "time from the first send to the last answer, and 'server CPU ms each' uvicorn's CPU time over "
        "that time (all its threads; PostgreSQL's and Redis's are not in it) per round trip."
    )
    if chat.rate < 0.9 * offered:
        print(
            f"The server did NOT keep up: {chat.rate:.0f} chat messages a second answered of about "
            f"{offered:.0f} sent, so the chat's round trip above is mostly the wait in its queue."
        )
    print(
        f"Memory: resident memory after gc.collect() and malloc_trim(0) in the server; "
        f"{results.first_rss_kib / 1024:.1f} MiB before the first socket, "
        f"{results.last_rss_kib / 1024:.1f} MiB once all were closed again. Negotiated extensions: "
        + ", ".join(sorted(extensions))
        + "."
    )
    print(
        "Note: uvicorn, PostgreSQL, Redis and this client share the machine's cores; the ratios compare "
        "like with like."
    )
