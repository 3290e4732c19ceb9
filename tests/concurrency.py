"""Sending requests at the same moment, to show what a race does to the app."""

import http.client
import json
import sys
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    body: dict


def burst(base_url: str, token: str, requests: list[tuple[str, dict]]) -> list[Answer]:
    """POST every (path, payload) as JSON with the integration's token at the same moment against a live
    server (see `send_together`)."""
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    return send_together(
        base_url, [(path, json.dumps(payload).encode(), headers) for path, payload in requests]
    )


def send_together(base_url: str, requests: list[tuple[str, bytes, dict[str, str]]]) -> list[Answer]:
    """POST every (path, body, headers) at the same moment against a live server: each thread opens its
    connection first, then all wait on one barrier and send together, so the requests reach the server
    within the same few milliseconds."""
    address = urlsplit(base_url)
    barrier = threading.Barrier(len(requests))
    answers: list[Answer | BaseException | None] = [None] * len(requests)

    def send(index: int, path: str, body: bytes, headers: dict[str, str]) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            connection.connect()
            barrier.wait(timeout=30)
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = {"raw": raw[:500].decode(errors="replace")}
            answers[index] = Answer(response.status, parsed)
        except BaseException as exc:
            answers[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    failures = [answer for answer in answers if not isinstance(answer, Answer)]
    assert not failures, failures
    return answers


def gunicorn_command(port: int, *, workers: int) -> list[str]:
    """gunicorn serving the app on 127.0.0.1:`port` as production runs it (threads per worker), with a
    short graceful timeout so a test's server stops quickly."""
    return [
        sys.executable, "-m", "gunicorn", "carecrm.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", "4", "--timeout", "30", "--graceful-timeout", "5",
    ]  # fmt: skip
