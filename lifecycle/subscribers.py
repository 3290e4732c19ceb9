"""Registry of Event subscribers. Apps above lifecycle plug in from their `AppConfig.ready()`:

    subscribers.register("campaigns.enroll", campaign_enroll_for_event, kinds=["registered", "order_placed"])

A handler is called as `handler(event, now=now)` inside a transaction that also records the handling,
so it runs at most once per event whatever retries, sweeps or workers deliver it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Subscriber:
    name: str
    handler: Callable
    kinds: frozenset[str]  # empty: every kind


_subscribers: dict[str, Subscriber] = {}


def register(name: str, handler: Callable, *, kinds: Iterable[str] = ()) -> None:
    _subscribers[name] = Subscriber(name=name, handler=handler, kinds=frozenset(kinds))


def unregister(name: str) -> None:
    _subscribers.pop(name, None)


def for_kind(kind: str) -> list[Subscriber]:
    return [s for s in sorted(_subscribers.values(), key=lambda s: s.name) if not s.kinds or kind in s.kinds]
