"""Orders/s of a bulk import (import_orders, and the API under gunicorn) against raw psycopg2 COPY.

Generates N orders (1-4 items each, from a pool of distinct customers, a fixed seed) as a JSON Lines file,
then, each on an empty set of tables in a bench database of its own:

- the baseline: the same file read and parsed, its rows written by raw psycopg2 into plain tables shaped
  like orders and their items, once with COPY (copy_expert from an in-memory CSV) and once with
  INSERT ... VALUES pages (execute_values), each committed;
- `manage.py import_orders FILE` as a subprocess, timed from start to exit;
- POST /api/v1/orders/ under gunicorn from several client threads over keep-alive connections, for the
  first --api-orders orders of the file (a sample: the whole file through the API would take far longer
  than the point needs).

After each path it checks what landed: orders, items, customers, `order_placed` and `registered` events
and the customers' order counts and spend.
"""

import argparse
import csv
import io
import json
import os
import random
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

from faker import Faker
from psycopg2.extras import execute_values

from bench._support import (
    ApiClient,
    BenchDatabase,
    Gunicorn,
    PassResult,
    ascii_slug,
    bench_cleanup,
    bench_setup,
    format_table,
    integration_user,
    manage,
    print_load_note,
    ratio,
    run_main,
    run_pass,
    verdict,
)

QUEUE = "carecrm-bench-orders"
# Orders spread over the two years before a fixed day, so the data is the same on every run.
PLACED_UNTIL = datetime(2026, 1, 1, tzinfo=UTC)
LOCALES = [("DE", "de_DE"), ("FR", "fr_FR"), ("GB", "en_GB"), ("NL", "nl_NL"), ("IT", "it_IT")]
DOMAINS = ["mail.example", "post.example", "inbox.example", "web.example"]
# (status, weight): mostly history that has run its course, as a backfill is.
STATUSES = [
    ("delivered", 70),
    ("shipped", 8),
    ("confirmed", 10),
    ("pending", 5),
    ("cancelled", 5),
    ("returned", 2),
]
CATEGORIES = ["kitchen", "home", "apparel", "garden", "toys", "books", "beauty", "food"]
ADJECTIVES = ["Linen", "Stoneware", "Organic", "Classic", "Compact", "Deluxe", "Recycled", "Walnut"]
NOUNS = ["mug", "towel", "shirt", "planter", "puzzle", "notebook", "soap", "tea", "lamp", "blanket"]

RAW_ORDER = "bench_raw_order"
RAW_ITEM = "bench_raw_order_item"
RAW_ORDER_COLUMNS = (
    "id",
    "external_id",
    "number",
    "customer_external_id",
    "customer_email",
    "placed_at",
    "status",
    "currency",
    "total",
    "payment_method",
    "shipping_address",
    "gift_wrap",
    "delivery_slot",
    "note",
    "promised_delivery_date",
)
RAW_ITEM_COLUMNS = ("order_id", "sku", "name", "category", "quantity", "unit_price")
CREATE_RAW_TABLES = f"""
CREATE TABLE {RAW_ORDER} (
    id bigint PRIMARY KEY,
    external_id varchar(100) UNIQUE,
    number varchar(50) NOT NULL UNIQUE,
    customer_external_id varchar(100),
    customer_email varchar(254),
    placed_at timestamptz NOT NULL,
    status varchar(20) NOT NULL,
    currency varchar(3) NOT NULL,
    total numeric(14, 2) NOT NULL,
    payment_method varchar(8) NOT NULL,
    shipping_address jsonb,
    gift_wrap boolean,
    delivery_slot varchar(100),
    note text,
    promised_delivery_date date
);
CREATE TABLE {RAW_ITEM} (
    id bigserial PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES {RAW_ORDER} (id),
    sku varchar(100) NOT NULL,
    name varchar(300) NOT NULL,
    category varchar(100),
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(14, 2) NOT NULL,
    UNIQUE (order_id, sku)
);
"""
# Every table of the apps an order writes to: emptied between the import and the API passes.
APP_TABLE_PREFIXES = ("customers_", "lifecycle_", "orders_")


# --- Data ------------------------------------------------------------------------------------------


@dataclass
class Expected:
    """What a set of orders must leave behind once imported."""

    orders: int = 0
    items: int = 0
    customers: set[str] = field(default_factory=set)
    # Cancelled orders are not purchases: they count in neither orders_count nor total_spent.
    purchases: int = 0
    spent: Decimal = Decimal(0)
    total: Decimal = Decimal(0)

    def add(self, order: dict) -> None:
        self.orders += 1
        self.items += len(order["items"])
        self.customers.add(order["customer"]["external_id"])
        self.total += Decimal(order["total"])
        if order["status"] != "cancelled":
            self.purchases += 1
            self.spent += Decimal(order["total"])


def _customers(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    fakers = {}
    for offset, (_, locale) in enumerate(LOCALES):
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(seed + offset)
    customers = []
    for n in range(count):
        country, locale = rng.choice(LOCALES)
        fake = fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        customers.append(
            {
                "ref": {
                    "external_id": f"BC-{n:06d}",
                    "email": f"{ascii_slug(first)}.{ascii_slug(last)}.{n}@{rng.choice(DOMAINS)}",
                    "first_name": first,
                    "last_name": last,
                },
                "address": {
                    "name": f"{first} {last}",
                    "line1": fake.street_address().replace("\n", ", "),
                    "city": fake.city(),
                    "postal_code": fake.postcode(),
                    "country": country,
                },
            }
        )
    return customers


def _catalog(rng: random.Random) -> list[dict]:
    products = []
    for n in range(400):
        products.append(
            {
                "sku": f"SKU-{n:04d}",
                "name": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {n}",
                "category": rng.choice(CATEGORIES),
                "unit_price": Decimal(rng.randrange(300, 15000)) / 100,
            }
        )
    return products


def generate(path: Path, *, orders: int, customers: int, seed: int) -> Expected:
    """Write `orders` orders as JSON Lines in the API's shape; return what importing them must leave."""
    rng = random.Random(seed)
    people = _customers(customers, seed)
    catalog = _catalog(rng)
    statuses, weights = zip(*STATUSES, strict=True)
    expected = Expected()
    span = 2 * 365 * 24 * 3600
    with path.open("w", encoding="utf-8") as out:
        for n in range(orders):
            person = rng.choice(people)
            placed = PLACED_UNTIL - timedelta(seconds=rng.randrange(span))
            lines = [
                {
                    "sku": product["sku"],
                    "name": product["name"],
                    "category": product["category"],
                    "quantity": rng.randint(1, 3),
                    "unit_price": str(product["unit_price"]),
                }
                for product in rng.sample(catalog, rng.randint(1, 4))
            ]
            total = sum(Decimal(line["unit_price"]) * line["quantity"] for line in lines)
            order = {
                "external_id": f"BO-{n:07d}",
                "number": f"B{n:07d}",
                "customer": person["ref"],
                "placed_at": placed.isoformat().replace("+00:00", "Z"),
                "status": rng.choices(statuses, weights)[0],
                "currency": "EUR",
                "total": str(total),
                "payment_method": "cod" if rng.random() < 0.2 else "prepaid",
                "items": lines,
                "shipping_address": person["address"],
                "promised_delivery_date": (placed + timedelta(days=rng.randint(3, 7))).date().isoformat(),
            }
            if rng.random() < 0.1:
                order["special_instructions"] = {
                    "gift_wrap": rng.random() < 0.5,
                    "delivery_slot": rng.choice(["", "morning", "evening"]),
                    "note": rng.choice(["", "Leave with the neighbour", "Ring twice"]),
                }
            out.write(json.dumps(order, ensure_ascii=False, separators=(",", ":")) + "\n")
            expected.add(order)
    return expected


def _read_orders(path: Path, limit: int) -> list[dict]:
    with path.open("rb") as lines:
        return [json.loads(line) for _, line in zip(range(limit), lines, strict=False)]


# --- The baseline: raw psycopg2 --------------------------------------------------------------------


def _raw_rows(order_id: int, order: dict) -> tuple[list, list[list]]:
    instructions = order.get("special_instructions") or {}
    row = [
        order_id,
        order["external_id"],
        order["number"],
        order["customer"].get("external_id"),
        order["customer"].get("email"),
        order["placed_at"],
        order["status"],
        order["currency"],
        order["total"],
        order["payment_method"],
        json.dumps(order.get("shipping_address") or {}),
        instructions.get("gift_wrap", False),
        instructions.get("delivery_slot", ""),
        instructions.get("note", ""),
        order.get("promised_delivery_date"),
    ]
    items = [
        [order_id, i["sku"], i["name"], i.get("category", ""), i["quantity"], i["unit_price"]]
        for i in order["items"]
    ]
    return row, items


def raw_copy(database: BenchDatabase, path: Path) -> float:
    """Read and parse the file, build the two tables' rows as CSV in memory, COPY them, commit."""
    began = time.perf_counter()
    orders_csv, items_csv = io.StringIO(), io.StringIO()
    order_writer, item_writer = csv.writer(orders_csv), csv.writer(items_csv)
    with path.open("rb") as lines:
        for order_id, line in enumerate(lines, 1):
            row, items = _raw_rows(order_id, json.loads(line))
            order_writer.writerow(row)
            item_writer.writerows(items)
    orders_csv.seek(0)
    items_csv.seek(0)
    with closing(database.connect(autocommit=False)) as conn, conn.cursor() as cursor:
        cursor.copy_expert(
            f"COPY {RAW_ORDER} ({', '.join(RAW_ORDER_COLUMNS)}) FROM STDIN WITH (FORMAT csv)", orders_csv
        )
        cursor.copy_expert(
            f"COPY {RAW_ITEM} ({', '.join(RAW_ITEM_COLUMNS)}) FROM STDIN WITH (FORMAT csv)", items_csv
        )
        conn.commit()
    return time.perf_counter() - began


def raw_execute_values(database: BenchDatabase, path: Path, *, page: int) -> float:
    """Read and parse the file; INSERT ... VALUES `page` orders and their items at a time, each page
    committed, as the importer commits each batch."""
    began = time.perf_counter()
    insert_orders = f"INSERT INTO {RAW_ORDER} ({', '.join(RAW_ORDER_COLUMNS)}) VALUES %s"
    insert_items = f"INSERT INTO {RAW_ITEM} ({', '.join(RAW_ITEM_COLUMNS)}) VALUES %s"
    with closing(database.connect(autocommit=False)) as conn, conn.cursor() as cursor:

        def write(rows: list, items: list) -> None:
            execute_values(cursor, insert_orders, rows, page_size=len(rows))
            execute_values(cursor, insert_items, items, page_size=len(items))
            conn.commit()

        rows, items = [], []
        with path.open("rb") as lines:
            for order_id, line in enumerate(lines, 1):
                row, order_items = _raw_rows(order_id, json.loads(line))
                rows.append(row)
                items.extend(order_items)
                if len(rows) == page:
                    write(rows, items)
                    rows, items = [], []
        if rows:
            write(rows, items)
    return time.perf_counter() - began


def _verify_raw(database: BenchDatabase, expected: Expected, label: str) -> list[str]:
    orders, total = database.rows(f"SELECT count(*), coalesce(sum(total), 0) FROM {RAW_ORDER}")[0]
    items = database.scalar(f"SELECT count(*) FROM {RAW_ITEM}")
    problems = []
    if (orders, items, total) != (expected.orders, expected.items, expected.total):
        problems.append(
            f"{label}: {orders} orders, {items} items, {total} total; "
            f"expected {expected.orders}, {expected.items}, {expected.total}"
        )
    return problems


# --- The app ---------------------------------------------------------------------------------------


class OrderApiClient(ApiClient):
    """Posts orders, each new, so each must answer 201."""

    warm_path = "/api/v1/orders/?number=warm-up"

    def send(self, order: dict) -> str | None:
        status, body = self.request("POST", "/api/v1/orders/", order)
        if status == 201:
            return None
        return f"{order['number']}: HTTP {status} (expected 201) {body[:300].decode(errors='replace')}"


def _empty_app_tables(database: BenchDatabase) -> None:
    tables = [
        name
        for (name,) in database.rows(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND ("
            + " OR ".join("tablename LIKE %s" for _ in APP_TABLE_PREFIXES)
            + ")",
            [f"{prefix}%" for prefix in APP_TABLE_PREFIXES],
        )
    ]
    database.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    # The planner's statistics still describe the full tables otherwise.
    database.execute("ANALYZE")


def _verify_app(database: BenchDatabase, expected: Expected, label: str) -> list[str]:
    """One order per order sent with all its items, one `order_placed` event each, one customer per
    distinct customer with one `registered` event, and the customers' counts and spend add up."""
    found = {
        "orders": database.scalar("SELECT count(*) FROM orders_order"),
        "items": database.scalar("SELECT count(*) FROM orders_orderitem"),
        "customers": database.scalar("SELECT count(*) FROM customers_customer"),
        "order_placed events": database.scalar(
            "SELECT count(*) FROM lifecycle_event WHERE kind = 'order_placed'"
        ),
        "registered events": database.scalar(
            "SELECT count(*) FROM lifecycle_event WHERE kind = 'registered'"
        ),
        "customers' orders_count": database.scalar(
            "SELECT coalesce(sum(orders_count), 0) FROM customers_customer"
        ),
        "customers' total_spent": database.scalar(
            "SELECT coalesce(sum(total_spent), 0) FROM customers_customer"
        ),
        "placed_at differing from the event": database.scalar(
            "SELECT count(*) FROM orders_order o JOIN lifecycle_event e "
            "ON e.key = 'order_placed:' || o.id WHERE e.occurred_at <> o.placed_at"
        ),
    }
    wanted = {
        "orders": expected.orders,
        "items": expected.items,
        "customers": len(expected.customers),
        "order_placed events": expected.orders,
        "registered events": len(expected.customers),
        "customers' orders_count": expected.purchases,
        "customers' total_spent": expected.spent,
        "placed_at differing from the event": 0,
    }
    return [
        f"{label}: {found[name]} {name}, expected {wanted[name]}"
        for name in wanted
        if found[name] != wanted[name]
    ]


# --- The benchmark ---------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench order_import", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the file (default 100000)")
    parser.add_argument(
        "--customers",
        type=int,
        help="distinct customers the orders come from (default: 15%% of --orders, so 15000 for 100000)",
    )
    parser.add_argument(
        "--api-orders",
        type=int,
        default=10_000,
        help="orders sent through the API: the first N of the file (default 10000)",
    )
    parser.add_argument("--threads", type=int, default=8, help="API client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument(
        "--server-threads", type=int, default=4, help="threads per gunicorn worker (default 4)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=200, help="import_orders orders per transaction (default 200)"
    )
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the generated data")
    parser.add_argument(
        "--database",
        default="carecrm_bench_orders",
        help="bench database name (default carecrm_bench_orders)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    if options.orders < 1 or options.threads < 1 or options.api_orders < 0:
        parser.error("--orders and --threads must be at least 1, --api-orders at least 0")
    if options.customers is None:
        options.customers = max(1, options.orders * 15 // 100)
    options.api_orders = min(options.api_orders, options.orders)
    return options


def main(argv: list[str]) -> int:
    options = _parse(argv)
    return run_main(partial(_run, options))


@dataclass
class Figure:
    label: str
    orders: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


def _run(options: argparse.Namespace) -> int:
    load_before = os.getloadavg()[0]
    database, queue, env = bench_setup(options.database, QUEUE)
    problems: list[str] = []
    figures: list[Figure] = []
    published: dict[str, int] = {}
    user_pk = None
    with tempfile.TemporaryDirectory(prefix="carecrm-bench-orders-") as workdir:
        path = Path(workdir) / "orders.jsonl"
        began = time.perf_counter()
        expected = generate(path, orders=options.orders, customers=options.customers, seed=options.seed)
        print(
            f"Generated {expected.orders} orders ({expected.items} items, {len(expected.customers)} distinct "
            f"customers, {path.stat().st_size / 2**20:.1f} MiB of JSON Lines) "
            f"in {time.perf_counter() - began:.1f}s",
            flush=True,
        )
        database.recreate()
        try:
            manage("migrate", "--noinput", env=env)
            user_pk, token = integration_user(env)
            database.execute(CREATE_RAW_TABLES)

            # The baselines first: the app's passes leave dead row versions that autovacuum may be busy
            # cleaning up afterwards, which would slow whatever ran next.
            seconds = raw_copy(database, path)
            problems += _verify_raw(database, expected, "raw COPY")
            figures.append(Figure("raw psycopg2 COPY (baseline)", expected.orders, seconds))
            print(f"raw COPY: {seconds:.2f}s", flush=True)
            database.execute(f"TRUNCATE {RAW_ITEM}, {RAW_ORDER}")
            seconds = raw_execute_values(database, path, page=options.batch_size)
            problems += _verify_raw(database, expected, "raw execute_values")
            figures.append(
                Figure(f"raw psycopg2 execute_values, {options.batch_size}/commit", expected.orders, seconds)
            )
            print(f"raw execute_values: {seconds:.2f}s", flush=True)

            began = time.perf_counter()
            said = manage(
                "import_orders",
                str(path),
                "--batch-size",
                str(options.batch_size),
                env=env,
                # Generous: a figure far below a few orders per second is a failure of its own.
                timeout=max(600, options.orders // 5),
            ).strip()
            seconds = time.perf_counter() - began
            problems += _verify_app(database, expected, "import_orders")
            figures.append(Figure("manage.py import_orders", expected.orders, seconds, note=said))
            published["import_orders"] = queue.length()
            queue.delete()
            print(f"import_orders: {seconds:.2f}s; it said: {said}", flush=True)

            if options.api_orders:
                sample = _read_orders(path, options.api_orders)
                sample_expected = Expected()
                for order in sample:
                    sample_expected.add(order)
                _empty_app_tables(database)
                with Gunicorn(env=env, workers=options.workers, threads=options.server_threads) as server:
                    print(
                        f"gunicorn on 127.0.0.1:{server.port}: {options.workers} workers x "
                        f"{options.server_threads} threads; {options.threads} client threads; "
                        f"{len(sample)} orders",
                        flush=True,
                    )
                    api = run_pass(
                        "API",
                        sample,
                        threads=options.threads,
                        open_client=partial(OrderApiClient, server.port, token),
                    )
                problems += [f"API: {error}" for error in api.errors[:5]]
                if len(api.errors) > 5:
                    problems.append(f"API: ... and {len(api.errors) - 5} more errors")
                problems += _verify_app(database, sample_expected, "API")
                sampled = len(sample) < expected.orders
                figures.append(
                    Figure(
                        f"POST /api/v1/orders/{' (sample)' if sampled else ''}",
                        len(sample),
                        api.seconds,
                        note=_latency(api),
                    )
                )
                published["API"] = queue.length()
        finally:
            bench_cleanup(database, queue, user_pk=user_pk, keep=options.keep)

    _report(options, figures, expected=expected, published=published, load_before=load_before)
    return verdict(problems)


def _latency(result: PassResult) -> str:
    return f"p50 {result.percentile_ms(50):.0f} ms, p95 {result.percentile_ms(95):.0f} ms per request"


def _report(
    options: argparse.Namespace,
    figures: list[Figure],
    *,
    expected: Expected,
    published: dict[str, int],
    load_before: float,
) -> None:
    copy, values = figures[0], figures[1]
    rows = [
        [
            figure.label,
            str(figure.orders),
            f"{figure.seconds:.2f}",
            f"{figure.rate:.0f}",
            ratio(figure.rate / copy.rate),
            ratio(figure.rate / values.rate),
        ]
        for figure in figures
    ]
    print()
    print(format_table(["", "orders", "seconds", "orders/s", "x COPY", "x execute_values"], rows))
    print()
    by_label = {figure.label: figure for figure in figures}
    imported = by_label["manage.py import_orders"]
    print(
        f"import_orders reaches {ratio(imported.rate / copy.rate)}x of raw COPY: COPY writes "
        f"{copy.rate / imported.rate:.0f} orders in the time import_orders writes one "
        f"({values.rate / imported.rate:.0f} for execute_values). Timed from process start to exit; the "
        f"command's own summary: {imported.note}"
    )
    api = next((figure for figure in figures if figure.label.startswith("POST")), None)
    if api is not None:
        sample = (
            f"a sample of the first {api.orders} of the {expected.orders} orders (--api-orders)"
            if api.orders < expected.orders
            else f"all {api.orders} orders"
        )
        print(
            f"The API figure is from {sample}, on emptied tables, from {options.threads} client threads "
            f"to gunicorn ({options.workers} workers x {options.server_threads} threads), {api.note}; it "
            f"reaches {ratio(api.rate / copy.rate)}x of raw COPY and {ratio(api.rate / imported.rate)}x "
            "of import_orders."
        )
    print(
        "Every path starts from empty tables and is checked afterwards (orders, items, customers, events, "
        "the customers' counts and spend). Dispatch tasks published to Redis (no worker consumes them "
        f"here): {', '.join(f'{count} by {label}' for label, count in published.items())}."
    )
    print(
        f"Note: the client, gunicorn, the import and PostgreSQL share this machine's {os.cpu_count()} CPU "
        "cores, so the absolute figures are lower than on separate machines; compare the ratios."
    )
    print_load_note(load_before)
