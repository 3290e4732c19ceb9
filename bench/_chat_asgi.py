"""The ASGI application uvicorn serves in `python -m bench chat`: the app's own (carecrm.asgi: its pages
and the chat sockets) plus two things of the benchmark's, kept out of the app:

- `ws/echo/`, a bare channels consumer that sends each text frame back unchanged: the baseline, on the
  same server, router and consumer machinery as the chat sockets but with none of their work;
- `/bench/trim/`, which collects garbage and hands freed heap back to the system (malloc_trim), so the
  resident memory read right after it counts the memory in use rather than what the allocator keeps.

With BENCH_CHAT_LAYER_OPTIONS (a JSON object, from `--layer-option`), the channel layer's Redis pool
gets those redis-py options on top of the app's settings, to try a configuration without changing it.

A module of bench/ whose name starts with an underscore, so that `python -m bench` does not take it for
a benchmark (importing it sets Django up)."""

import ctypes
import ctypes.util
import gc
import json
import os

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings
from django.urls import path

from carecrm.asgi import django_application, websocket_urlpatterns

TRIM_PATH = "/bench/trim/"


def _layer_options(options: dict) -> None:
    # channels makes its layer on first use, from these settings: nothing has used it yet.
    config = settings.CHANNEL_LAYERS["default"].get("CONFIG")
    if options and config is not None:
        config["hosts"] = [
            {"address": host, **options} if isinstance(host, str) else {**host, **options}
            for host in config["hosts"]
        ]


_layer_options(json.loads(os.environ.get("BENCH_CHAT_LAYER_OPTIONS") or "{}"))


class EchoConsumer(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.send(text_data=text_data)


def _malloc_trim() -> None:
    # glibc only: elsewhere the figures include whatever the allocator keeps.
    name = ctypes.util.find_library("c")
    if name:
        libc = ctypes.CDLL(name)
        if hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)


async def http(scope, receive, send):
    if scope["path"] != TRIM_PATH:
        return await django_application(scope, receive, send)
    gc.collect()
    _malloc_trim()
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


application = ProtocolTypeRouter(
    {
        "http": http,
        "websocket": URLRouter([path("ws/echo/", EchoConsumer.as_asgi()), *websocket_urlpatterns]),
    }
)
