"""Servers that go away in the middle of a test, as they do in production: a database restart staged by a
TCP relay in front of PostgreSQL, and a private Redis without persistence that is killed and started again.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# How often the relay's accepting thread looks at its state: a restart takes effect within this long.
_POLL = 0.05


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DatabaseRelay:
    """A TCP relay on 127.0.0.1 between an application and its PostgreSQL server that can stage the
    server's restart: every open connection dropped at once, new connections refused for a while (the
    port bound but not listening), then accepted again, on the same port."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.accepted = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._stopped = False
        self._down_until: float | None = None
        self._down = threading.Event()
        self._listener = self._socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="db-relay-accept", daemon=True)
        self._acceptor.start()

    @staticmethod
    def _socket() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        return sock

    def restart(self, *, down_for: float) -> None:
        """What the application sees when PostgreSQL restarts: its connections are cut at once, and it
        cannot connect again for `down_for` seconds. Returns once the connections are cut."""
        with self._lock:
            self._down_until = time.monotonic() + down_for
            self._down.clear()
        # The accepting thread owns the listening socket: it stops listening before anything is cut, so a
        # client that reconnects at once is refused, as by a server that is not up.
        if not self._down.wait(5):
            raise RuntimeError("the relay did not stop listening")
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in pair:
                _cut(sock)
        self.dropped += len(pairs)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in pair:
                _cut(sock)
        self._acceptor.join(5)

    def _accept_loop(self) -> None:
        listener = self._listener
        try:
            while True:
                with self._lock:
                    if self._stopped:
                        return
                    down_until = self._down_until
                if down_until is not None:
                    listener = self._refuse_until(listener, down_until)
                    continue
                listener.settimeout(_POLL)
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                self._relay(client)
        finally:
            listener.close()

    def _refuse_until(self, listener: socket.socket, down_until: float) -> socket.socket:
        listener.close()
        # Bound but never listening: a connection attempt is refused at once, and no other program can
        # take the port meanwhile. The old socket may hold the port for a moment after close.
        holder = self._socket()
        deadline = time.monotonic() + 5
        while True:
            try:
                holder.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        self._down.set()
        while time.monotonic() < down_until:
            with self._lock:
                if self._stopped:
                    return holder
            time.sleep(_POLL)
        holder.listen(128)
        with self._lock:
            if self._down_until == down_until:
                self._down_until = None
        return holder

    def _relay(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _cut(client)
            return
        server.settimeout(None)
        client.settimeout(None)
        pair = (client, server)
        with self._lock:
            if self._stopped or self._down_until is not None:
                _cut(client)
                _cut(server)
                return
            self._pairs.add(pair)
            self.accepted += 1
        for source, target in ((client, server), (server, client)):
            threading.Thread(
                target=self._pump, args=(pair, source, target), name="db-relay-pump", daemon=True
            ).start()

    def _pump(self, pair, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            # One side finished: the conversation is over for both (a PostgreSQL session has no half-close).
            _cut(source)
            _cut(target)
            with self._lock:
                self._pairs.discard(pair)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class RedisServer:
    """A `redis-server` of the test's own on a free loopback port, with no persistence: killed and started
    again, it comes back empty, as a production Redis without RDB or AOF does after a restart."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        log = (self.workdir / f"redis-{self.starts}.log").open("w")
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.starts += 1
        self._wait_answering()

    def _wait_answering(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        pytest.fail(f"redis-server on port {self.port} did not answer within {timeout:.0f}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: whatever it held (queued and unacknowledged messages) is gone."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-2000:] for path in sorted(self.workdir.glob("redis-*.log"))
        )


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(workdir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
