"""What CareCRM holds about a customer, app by app. Each app that keeps rows about customers registers in
its `AppConfig.ready()` how to export them (every row, as plain JSON-ready values) and how to erase them
(anonymise: personal data goes, what the books need stays). The console's export and erase call them
all, so this module stays below every app."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Holder:
    name: str
    export: Callable[[int], dict]  # export(customer_id) -> {section: rows}
    erase: Callable[[int], dict]  # erase(customer_id) -> {what: how many rows}
    models: tuple[str, ...]  # the models with a key to the customer it answers for ("orders.order")
    # Erased in descending order: the apps above read what they need (the addresses to unsuppress)
    # before the customers app drops it.
    order: int


_holders: dict[str, Holder] = {}


def register(holder: Holder) -> None:
    _holders[holder.name] = holder


def holders() -> list[Holder]:
    return sorted(_holders.values(), key=lambda holder: holder.order)


def customer_export(customer_id: int) -> dict:
    return {holder.name: holder.export(customer_id) for holder in holders()}


def customer_erase(customer_id: int) -> dict:
    """Run every app's erasure, the highest layer first. The caller holds the transaction and the lock."""
    return {holder.name: holder.erase(customer_id) for holder in reversed(holders())}
