"""Bulk import of orders for backfills (`manage.py import_orders`), from JSON Lines or CSV.

Each order is validated by the API's own `OrderWriteSerializer` and written through `order_upsert`, so an
imported order is exactly what the same order posted to the API would be, and a re-run changes nothing.
A bad record (undecodable bytes, malformed JSON or CSV, an order the serializer or the service refuses)
is reported with its line number and skipped; the rest lands.

Files are read line by line, never whole. Orders are written in batches, one transaction per batch,
each order in a savepoint of its own so that a refused order takes nothing else with it.
"""

import csv
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from rest_framework import serializers

from carecrm import clock
from carecrm.errors import Conflict
from lifecycle.services import events_dispatched_together
from orders.api import OrderWriteSerializer
from orders.services import order_upsert

FORMATS = ("jsonl", "csv")
BATCH_SIZE = 200
_BOM = b"\xef\xbb\xbf"

# CSV: one row per order item; the order's columns repeat on each of its rows.
CSV_ORDER_COLUMNS = (
    "external_id",
    "number",
    "placed_at",
    "status",
    "currency",
    "total",
    "payment_method",
    "promised_delivery_date",
)
CSV_CUSTOMER_COLUMNS = (
    "customer_external_id",
    "customer_email",
    "customer_first_name",
    "customer_last_name",
    "customer_phone",
)
CSV_INSTRUCTION_COLUMNS = ("gift_wrap", "delivery_slot", "note")
CSV_ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
CSV_ADDRESS_COLUMNS = tuple(f"shipping_{name}" for name in CSV_ADDRESS_FIELDS)
CSV_ITEM_COLUMNS = ("sku", "name", "category", "quantity", "unit_price", "unit_cost")
CSV_COLUMNS = (
    *CSV_ORDER_COLUMNS,
    *CSV_CUSTOMER_COLUMNS,
    *CSV_INSTRUCTION_COLUMNS,
    *CSV_ADDRESS_COLUMNS,
    *CSV_ITEM_COLUMNS,
)
# Without these the file cannot describe an order at all; a missing value in a row is that row's problem.
CSV_REQUIRED_COLUMNS = ("number", "placed_at", "currency", "total", "sku", "name", "quantity", "unit_price")
# Every column but the item's: they must be the same on each row of one order.
_CSV_PER_ORDER = tuple(c for c in CSV_COLUMNS if c not in CSV_ITEM_COLUMNS)


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no usable CSV header)."""


@dataclass(frozen=True)
class Problem:
    """Why one record was skipped. `line` is where the problem is; `lines` the record's whole span."""

    line: int
    reason: str
    lines: tuple[int, int] | None = None
    number: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.number:
            where += f": order {self.number}"
            if self.lines and self.lines[0] != self.lines[1]:
                where += f" (lines {self.lines[0]}-{self.lines[1]})"
        return f"{where}: {self.reason}"

    def as_dict(self) -> dict:
        first, last = self.lines or (self.line, self.line)
        return {
            "line": self.line,
            "first_line": first,
            "last_line": last,
            "number": self.number,
            "reason": self.reason,
        }


@dataclass
class Record:
    """One order as read from the file, in the API's shape, or why it could not be read."""

    first_line: int
    last_line: int
    payload: dict | None = None
    problem: str | None = None
    problem_line: int | None = None
    number: str | None = None
    # CSV: the line each item came from, so an item's error can name its row.
    item_lines: list[int] = field(default_factory=list)

    def fail(self, reason: str, *, line: int | None = None) -> Problem:
        return Problem(
            line=line or self.problem_line or self.first_line,
            reason=reason,
            lines=(self.first_line, self.last_line),
            number=self.number,
        )


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    seconds: float = 0.0

    @property
    def landed(self) -> int:
        return self.created + self.updated

    @property
    def rate(self) -> float:
        return self.landed / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.created} created, {self.updated} updated, {self.skipped} skipped (bad) "
            f"in {self.seconds:.1f}s ({self.rate:.0f} orders/s)"
        )


# --- Reading ----------------------------------------------------------------------------------------


class _Lines:
    """The physical lines of a binary stream, counted, with each one's bytes reported as it is read."""

    def __init__(self, stream: BinaryIO, on_bytes: Callable[[int], object]):
        self.stream = stream
        self.on_bytes = on_bytes
        self.number = 0

    def __iter__(self) -> Iterator[bytes]:
        for raw in self.stream:
            self.number += 1
            self.on_bytes(len(raw))
            yield raw.removeprefix(_BOM) if self.number == 1 else raw


def _encoding_problem(exc: UnicodeDecodeError) -> str:
    return f"bad encoding: not valid UTF-8 (byte {exc.start + 1} of the line)"


def read_jsonl(stream: BinaryIO, on_bytes: Callable[[int], object] = lambda n: None) -> Iterator[Record]:
    """One order per line, each a JSON object in the shape POST /api/v1/orders/ takes."""
    lines = _Lines(stream, on_bytes)
    for raw in lines:
        line = lines.number
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Record(line, line, problem=_encoding_problem(exc))
            continue
        if not text.strip():
            continue
        try:
            # Decimal, not float: amounts are money.
            payload = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield Record(line, line, problem=f"malformed JSON: {exc.msg} (character {exc.pos + 1})")
            continue
        except RecursionError:
            yield Record(line, line, problem="malformed JSON: nested too deeply")
            continue
        if not isinstance(payload, dict):
            kind = type(payload).__name__
            yield Record(line, line, problem=f"malformed JSON: expected an object, got {kind}")
            continue
        number = payload.get("number")
        yield Record(line, line, payload=payload, number=number if isinstance(number, str) else None)


class _CsvOrder:
    """The consecutive rows of one order number, gathered until the number changes."""

    def __init__(self, number: str, first_line: int, cells: dict[str, str]):
        self.number = number
        self.first_line = self.last_line = first_line
        self.cells = cells
        self.items: list[tuple[int, dict[str, str]]] = []
        self.problem: tuple[int, str] | None = None

    def add(self, line: int, last_line: int, cells: dict[str, str] | None, problem: str | None) -> None:
        self.last_line = last_line
        if problem is None and cells is not None:
            differing = [c for c in _CSV_PER_ORDER if cells.get(c, "") != self.cells.get(c, "")]
            if differing:
                problem = (
                    f"order columns differ from line {self.first_line} ({', '.join(differing)}); "
                    "every row of an order repeats the same order columns"
                )
        if problem is not None:
            self.problem = self.problem or (line, problem)
            return
        self.items.append((line, cells))

    def record(self) -> Record:
        record = Record(self.first_line, self.last_line, number=self.number)
        if self.problem is not None:
            record.problem_line, record.problem = self.problem
            return record
        record.payload = _csv_payload(self.cells, [cells for _, cells in self.items])
        record.item_lines = [line for line, _ in self.items]
        return record


def _csv_payload(order: dict[str, str], items: list[dict[str, str]]) -> dict:
    """The API's shape. An empty cell is an absent field, so a missing required value is reported by the
    serializer as missing and an empty optional one changes nothing on an existing order."""

    def present(names: Iterable[str], prefix: str = "") -> dict[str, str]:
        return {name.removeprefix(prefix): order[name] for name in names if order.get(name, "") != ""}

    payload: dict = present(CSV_ORDER_COLUMNS)
    payload["customer"] = present(CSV_CUSTOMER_COLUMNS, prefix="customer_")
    instructions = present(CSV_INSTRUCTION_COLUMNS)
    if instructions:
        payload["special_instructions"] = instructions
    address = present(CSV_ADDRESS_COLUMNS, prefix="shipping_")
    if address:
        payload["shipping_address"] = address
    payload["items"] = [{k: item[k] for k in CSV_ITEM_COLUMNS if item.get(k, "") != ""} for item in items]
    return payload


def _csv_header(row: list[str] | None) -> list[str]:
    if row is None:
        raise ImportFileError("The CSV file is empty: it needs a header row naming its columns.")
    header = [name.strip().lower() for name in row]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if unknown:
        raise ImportFileError(
            f"Unknown CSV column(s) {', '.join(map(repr, unknown))}; "
            f"the columns are: {', '.join(CSV_COLUMNS)}."
        )
    missing = [name for name in CSV_REQUIRED_COLUMNS if name not in header]
    if "customer_external_id" not in header and "customer_email" not in header:
        missing.append("customer_external_id or customer_email")
    if missing:
        raise ImportFileError(f"The CSV header lacks the column(s) {', '.join(missing)}.")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise ImportFileError(f"The CSV header names {', '.join(duplicated)} more than once.")
    return header


def read_csv(stream: BinaryIO, on_bytes: Callable[[int], object] = lambda n: None) -> Iterator[Record]:
    """One row per order item, the order's columns repeated on each; an order's rows are consecutive."""
    lines = _Lines(stream, on_bytes)
    # The current record's lines as read, and which of them were not UTF-8.
    texts: dict[int, str] = {}
    undecodable: dict[int, str] = {}

    def decoded() -> Iterator[str]:
        for raw in lines:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                # Still parsed (with replacement characters) so the row's order number can be told and
                # the whole order skipped, not just this one item.
                undecodable[lines.number] = _encoding_problem(exc)
                text = raw.decode("utf-8", errors="replace")
            texts[lines.number] = text
            yield text

    reader = csv.reader(decoded(), strict=True)
    try:
        header = _csv_header(next(reader, None))
    except csv.Error as exc:
        raise ImportFileError(f"The CSV header is malformed: {exc}") from exc
    if 1 in undecodable:
        raise ImportFileError("The CSV header is not valid UTF-8.")
    number_at = header.index("number")
    # Where each order number was first seen: rows of one order that are not together are refused.
    seen: dict[str, int] = {}
    current: _CsvOrder | None = None

    while True:
        texts.clear()
        undecodable.clear()
        first = lines.number + 1
        try:
            row, problem = next(reader), None
        except StopIteration:
            break
        except csv.Error as exc:
            problem = f"malformed CSV: {exc}"
            # Read again leniently, only to tell which order the broken row belongs to.
            row = next(csv.reader(io.StringIO("".join(texts.values()))), [])
        last = lines.number
        if problem is None and not any(cell.strip() for cell in row):
            continue
        if problem is None and undecodable:
            problem = next(iter(undecodable.values()))
        if problem is None and len(row) != len(header):
            problem = f"{len(row)} columns where the header has {len(header)}"
        cells = dict(zip(header, row, strict=False)) if problem is None else None
        number = row[number_at].strip() if len(row) > number_at else ""
        if not number:
            # Without a number the row belongs to no order: it is reported on its own.
            yield Record(first, last, problem=problem or "number: This field is required.")
            continue
        if current is not None and number == current.number:
            current.add(first, last, cells, problem)
            continue
        if current is not None:
            yield current.record()
        current = _CsvOrder(number, first, cells or {})
        if number in seen:
            current.problem = (
                first,
                f"rows of order {number} are not consecutive: it already appeared on line {seen[number]}",
            )
        else:
            seen[number] = first
        current.add(first, last, cells, problem)
    if current is not None:
        yield current.record()


READERS = {"jsonl": read_jsonl, "csv": read_csv}


# --- Validating and writing -------------------------------------------------------------------------


def _flatten(errors, path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, message) pairs from DRF's or Django's nested error structures."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):  # DRF keys a list's errors by the item's index
                yield from _flatten(value, f"{path}[{key}]")
                continue
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            yield from _flatten(value, f"{path}.{name}" if path and name else name or path)
    elif isinstance(errors, list) and errors and all(isinstance(e, dict | list) for e in errors):
        for index, value in enumerate(errors):
            yield from _flatten(value, f"{path}[{index}]")
    elif isinstance(errors, list):
        for message in errors:
            yield path, str(message)
    else:
        yield path, str(errors)


def _validation_problem(record: Record, errors) -> Problem:
    # (field, message, the CSV row of the item it is about or None)
    found = []
    for path, message in _flatten(errors):
        item_line = None
        if record.item_lines and path.startswith("items["):
            index = int(path[len("items[") : path.index("]")])
            if index < len(record.item_lines):
                item_line = record.item_lines[index]
                path = path.split(".", 1)[1] if "." in path else "item"
        found.append((path, message, item_line))
    item_lines = {item_line for _, _, item_line in found}
    # A CSV order whose only faults are in its items is reported at the first faulty item's row.
    line = min(item_lines) if None not in item_lines else None
    parts = []
    for path, message, item_line in found:
        label = f"{path} (line {item_line})" if item_line and item_line != line else path
        parts.append(f"{label}: {message}" if label else message)
    return record.fail("; ".join(parts), line=line)


def _service_problem(record: Record, exc: Exception) -> Problem:
    if isinstance(exc, ValidationError):
        return _validation_problem(record, exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Conflict):
        return record.fail(f"{exc.field}: {exc.message}" if exc.field != "non_field_errors" else exc.message)
    # A database refusal (a number already used by an order with another external_id, a value too long):
    # its first line says which constraint.
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return record.fail(f"refused by the database: {exc.__class__.__name__}: {first_line}")


def import_records(
    records: Iterable[Record],
    *,
    source: str,
    on_problem: Callable[[Problem], object],
    on_batch: Callable[[ImportResult], object] = lambda result: None,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> ImportResult:
    """Validate each record with the API's serializer and upsert the valid ones, `batch_size` orders per
    transaction. Every skipped record goes to `on_problem`; `on_batch` hears the totals after each commit."""
    started = time.monotonic()
    # One serializer validates every record, as DRF's ListSerializer validates each child: what
    # is_valid() runs, without rebuilding the nested fields for each order (most of its cost).
    validator = OrderWriteSerializer()
    result = ImportResult()
    batch: list[tuple[Record, dict]] = []

    def flush() -> None:
        if not batch:
            return
        created = updated = 0
        problems = []
        with events_dispatched_together(), transaction.atomic():
            moment = now or clock.now()
            for record, data in batch:
                try:
                    # order_upsert runs wholly inside its own atomic block, which here is a savepoint:
                    # a refused order rolls back to it and the batch goes on.
                    _, was_created = order_upsert(data=data, source=source, now=moment)
                except (ValidationError, Conflict, IntegrityError, DataError) as exc:
                    problems.append(_service_problem(record, exc))
                    continue
                created += was_created
                updated += not was_created
        # Counted once committed: a batch that fails to commit raises and counts nothing.
        result.created += created
        result.updated += updated
        result.skipped += len(problems)
        for problem in problems:
            on_problem(problem)
        batch.clear()
        result.seconds = time.monotonic() - started
        on_batch(result)

    for record in records:
        if record.problem is not None:
            result.skipped += 1
            on_problem(record.fail(record.problem))
            continue
        try:
            data = validator.run_validation(record.payload)
        except serializers.ValidationError as exc:
            result.skipped += 1
            on_problem(_validation_problem(record, exc.detail))
            continue
        batch.append((record, data))
        if len(batch) >= batch_size:
            flush()
    flush()
    result.seconds = time.monotonic() - started
    return result
