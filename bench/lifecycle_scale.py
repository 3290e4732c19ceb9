"""The time-driven stage update of `tick` and a three-condition segment count at 100k and 1M customers
on PostgreSQL, each against a hand-written SQL statement doing the same work in the same run; and the
peak memory of the stage update at both sizes, which must stay flat.

For each size: a fresh database, N customers written with COPY with their summary columns (orders
count, spend, first and last order, stage as of a first day, country), then, sixty days later:

- stages: the baseline is one transaction of two statements, an INSERT ... SELECT of every
  `stage_changed` event and an UPDATE of every stage; then the stages are put back, and
  `lifecycle.services.stages_age` runs in a process of its own (batches of locked rows, one UPDATE per
  previous stage and one bulk insert of events per batch), which reports its peak memory;
- segment: `segment_customers(rule).count()` for stage in (active, loyal) AND spend >= 200 AND country
  in (DE, FR), against the bare `SELECT count(*)` with the same three conditions.

Each customer's orders (delivered, one to three items each) are written too, and the customers' summary
columns are checked against them before anything is measured; the measured paths read those summary
columns, as the ORM code does, and the order rows give the tables the size they have in a real shop.
"""

import argparse
import io
import json
import os
import random
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta

from bench._support import BenchDatabase, BenchFailure, format_table, manage, ratio, run_main

THEN = datetime(2026, 6, 1, tzinfo=UTC)
NOW = THEN + timedelta(days=60)
COUNTRIES = ["DE", "FR", "NL", "IT", "ES", "GB", "AT", "BE"]
SEGMENT_RULE = {
    "all": [
        {"field": "stage", "op": "in", "value": ["active", "loyal"]},
        {"field": "total_spent", "op": "gte", "value": "200"},
        {"field": "country", "op": "in", "value": ["DE", "FR"]},
    ]
}
BARE_SEGMENT = (
    "SELECT count(*) FROM customers_customer WHERE merged_into_id IS NULL "
    "AND lifecycle_stage IN ('active', 'loyal') AND total_spent >= 200 AND country IN ('DE', 'FR')"
)
BARE_STAGES = """
WITH moving AS (
    SELECT id, lifecycle_stage AS from_stage,
        CASE WHEN last_order_at <= %(lost)s THEN 'lost' ELSE 'dormant' END AS to_stage
    FROM customers_customer
    WHERE merged_into_id IS NULL AND (
        (lifecycle_stage IN ('new', 'active', 'loyal', 'dormant') AND last_order_at <= %(lost)s)
        OR (lifecycle_stage IN ('new', 'active', 'loyal') AND last_order_at <= %(dormant)s))
), events AS (
    INSERT INTO lifecycle_event
        (customer_id, kind, occurred_at, recorded_at, summary, data, dispatch_attempts, dispatch_error)
    SELECT id, 'stage_changed', %(now)s, %(now)s, 'Stage ' || from_stage || ' → ' || to_stage,
           json_build_object('from', from_stage, 'to', to_stage), 0, ''
    FROM moving
)
UPDATE customers_customer c SET lifecycle_stage = moving.to_stage, stage_changed_at = %(now)s
FROM moving WHERE c.id = moving.id
"""
CHILD = """
import json, resource, time
from datetime import datetime
from lifecycle.services import stages_age
from lifecycle.segments import segment_customers
now = datetime.fromisoformat({now!r})
rule = json.loads({rule!r})
segment_count = segment_customers(rule, now=now).count()  # warm
segment_times = []
for _ in range(5):
    t0 = time.perf_counter(); segment_count = segment_customers(rule, now=now).count()
    segment_times.append(time.perf_counter() - t0)
t0 = time.perf_counter(); said = stages_age(now=now); seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"said": said, "seconds": seconds, "segment": min(segment_times),
                  "segment_count": segment_count, "maxrss_mb": peak}}))
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench lifecycle_scale", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sizes", default="100000,1000000", help="customer counts, comma-separated")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    options = parser.parse_args(argv)
    return run_main(lambda: run(options))


def run(options) -> int:
    rows = []
    for size in [int(n) for n in options.sizes.split(",")]:
        rows.append(measure(size, seed=options.seed, keep=options.keep))
    print()
    print(
        format_table(
            [
                "customers",
                "moved",
                "bare SQL s",
                "stages_age s",
                "x bare",
                "peak MB",
                "segment bare ms",
                "segment ms",
                "x bare",
            ],
            rows,
        )
    )
    print(
        "\nstages_age runs in a process of its own (`manage.py shell`), its peak resident memory read at "
        "the end; the bare stage SQL is one INSERT ... SELECT of the events and one UPDATE, in one "
        "transaction. Segment figures are the best of five counts after a warm-up, through the ORM and bare."
    )
    return 0


def measure(size: int, *, seed: int, keep: bool) -> list[str]:
    database = BenchDatabase(f"carecrm_bench_lifecycle_{size}")
    print(f"{size} customers: database {database.display_url()}", flush=True)
    database.recreate()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "carecrm.settings.base", "DATABASE_URL": database.url}
    env["DEBUG"] = "false"
    env.pop("REDIS_URL", None)
    manage("migrate", "--noinput", env=env)
    try:
        began = time.perf_counter()
        _customers_copy(database, size=size, seed=seed)
        orders = database.scalar("SELECT count(*) FROM orders_order")
        items = database.scalar("SELECT count(*) FROM orders_orderitem")
        print(
            f"  {size:,} customers, {orders:,} orders, {items:,} items written with COPY "
            f"in {time.perf_counter() - began:.1f} s",
            flush=True,
        )
        if wrong := _summaries_check(database):
            raise BenchFailure(f"{wrong} customers' summary columns disagree with their orders")
        params = {"now": NOW, "dormant": NOW - timedelta(days=90), "lost": NOW - timedelta(days=365)}
        with closing(database.connect(autocommit=False)) as conn, conn.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_stages AS "
                "SELECT id, lifecycle_stage, stage_changed_at FROM customers_customer"
            )
            conn.commit()
            t0 = time.perf_counter()
            cursor.execute(BARE_STAGES, params)
            moved_bare = cursor.rowcount
            conn.commit()
            bare_seconds = time.perf_counter() - t0
            # Back to the first day's stages, without the baseline's events.
            cursor.execute(
                "UPDATE customers_customer c "
                "SET lifecycle_stage = b.lifecycle_stage, stage_changed_at = b.stage_changed_at "
                "FROM bench_stages b WHERE c.id = b.id AND c.lifecycle_stage <> b.lifecycle_stage"
            )
            cursor.execute("DELETE FROM lifecycle_event")
            conn.commit()
        database.execute("VACUUM ANALYZE")
        with closing(database.connect()) as conn, conn.cursor() as cursor:
            cursor.execute(BARE_SEGMENT)
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                cursor.execute(BARE_SEGMENT)
                (bare_count,) = cursor.fetchone()
                times.append(time.perf_counter() - t0)
            bare_segment = min(times)
        output = manage(
            "shell",
            "-c",
            CHILD.format(now=NOW.isoformat(), rule=json.dumps(SEGMENT_RULE)),
            env=env,
            timeout=3600,
        )
        child = json.loads(output.strip().splitlines()[-1])
        moved = int(child["said"].split()[0])
        if moved != moved_bare:
            raise BenchFailure(f"stages_age moved {moved} customers, the bare SQL {moved_bare}")
        if child["segment_count"] != bare_count:
            raise BenchFailure(f"the segment counted {child['segment_count']}, the bare SQL {bare_count}")
        return [
            f"{size:,}",
            f"{moved:,}",
            f"{bare_seconds:.2f}",
            f"{child['seconds']:.2f}",
            ratio(child["seconds"] / bare_seconds),
            f"{child['maxrss_mb']:.0f}",
            f"{bare_segment * 1000:.1f}",
            f"{child['segment'] * 1000:.1f}",
            ratio(child["segment"] / bare_segment),
        ]
    finally:
        if not keep:
            database.drop()


CUSTOMER_COLUMNS = (
    "id, email, phone, first_name, last_name, registered_at, acquisition_channel, country, city, "
    "marketing_opt_in, marketing_opt_in_source, lifecycle_stage, orders_count, total_spent, "
    "first_order_at, last_order_at, created_at, updated_at, order_updates_opt_out, loyalty_points, time_zone"
)
ORDER_COLUMNS = (
    "id, customer_id, external_id, number, placed_at, status, currency, total, payment_method, "
    "shipping_address, gift_wrap, delivery_slot, note, amount_paid, amount_refunded, delivered_at, "
    "created_at, updated_at, coupon_codes"
)
ITEM_COLUMNS = "order_id, sku, name, category, quantity, unit_price"
CATEGORIES = ["shoes", "outerwear", "knitwear", "bags", "accessories", "home"]
BATCH = 50_000


def _line(values) -> str:
    return "\t".join(values) + "\n"


def _customers_copy(database: BenchDatabase, *, size: int, seed: int) -> None:
    """Customers with their delivered orders (one to three items each), in batches of COPY; each
    customer's summary columns are the sums of the orders written for it, and its stage is the one a
    tick on the first day would have given it."""
    rng = random.Random(seed)
    order_id = 0
    with closing(database.connect(autocommit=False)) as conn, conn.cursor() as cursor:
        for start in range(0, size, BATCH):
            customers, orders, items = io.StringIO(), io.StringIO(), io.StringIO()
            for customer_id in range(start + 1, min(start + BATCH, size) + 1):
                registered = THEN - timedelta(days=rng.uniform(30, 900))
                count = rng.choices(range(9), weights=[35, 25, 14, 9, 6, 4, 3, 2, 2])[0]
                spent = 0
                placed = []
                if count:
                    first = registered + timedelta(days=rng.uniform(0, 20))
                    last = min(first + timedelta(days=rng.uniform(0, 500)), THEN)
                    span = (last - first).total_seconds()
                    placed = sorted(
                        [first, last][:count]
                        + [first + timedelta(seconds=rng.uniform(0, span)) for _ in range(count - 2)]
                    )
                for at in placed:
                    order_id += 1
                    lines = [(rng.randint(1, 2), rng.randint(900, 8000)) for _ in range(rng.randint(1, 3))]
                    total = sum(quantity * cents for quantity, cents in lines)
                    spent += total
                    stamp = at.isoformat()
                    amount = f"{total / 100:.2f}"
                    orders.write(
                        _line(
                            [
                                str(order_id),
                                str(customer_id),
                                f"o{order_id}",
                                f"B{order_id:08d}",
                                stamp,
                                "delivered",
                                "EUR",
                                amount,
                                "prepaid",
                                "{}",
                                "f",
                                "",
                                "",
                                amount,
                                "0",
                                (at + timedelta(days=3)).isoformat(),
                                stamp,
                                stamp,
                                "[]",
                            ]
                        )
                    )
                    for index, (quantity, cents) in enumerate(lines):
                        category = rng.choice(CATEGORIES)
                        items.write(
                            _line(
                                [
                                    str(order_id),
                                    f"{category}-{index}",
                                    f"{category} item",
                                    category,
                                    str(quantity),
                                    f"{cents / 100:.2f}",
                                ]
                            )
                        )
                if count:
                    idle = (THEN - placed[-1]).days
                    if idle >= 365:
                        stage = "lost"
                    elif idle >= 90:
                        stage = "dormant"
                    elif count == 1:
                        stage = "new"
                    elif count >= 3 and spent >= 50_000:
                        stage = "loyal"
                    else:
                        stage = "active"
                    first_s, last_s = placed[0].isoformat(), placed[-1].isoformat()
                else:
                    stage, first_s, last_s = "prospect", r"\N", r"\N"
                stamp = registered.isoformat()
                customers.write(
                    _line(
                        [
                            str(customer_id),
                            f"c{customer_id}@bench.example",
                            "",
                            "Bench",
                            f"C{customer_id}",
                            stamp,
                            "web",
                            rng.choice(COUNTRIES),
                            "",
                            "f",
                            "",
                            stage,
                            str(count),
                            f"{spent / 100:.2f}",
                            first_s,
                            last_s,
                            stamp,
                            stamp,
                            "f",
                            "0",
                            "",
                        ]
                    )
                )
            for table, columns, buffer in [
                ("customers_customer", CUSTOMER_COLUMNS, customers),
                ("orders_order", ORDER_COLUMNS, orders),
                ("orders_orderitem", ITEM_COLUMNS, items),
            ]:
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
        # The rows carry their own ids; the sequences move past them for anything written later.
        for table in ["customers_customer", "orders_order"]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
    database.execute("VACUUM ANALYZE")


def _summaries_check(database: BenchDatabase) -> int:
    """The customers whose summary columns disagree with their order rows: none, or the data is wrong."""
    return database.scalar(
        "SELECT count(*) FROM customers_customer c LEFT JOIN ("
        "  SELECT customer_id, count(*) AS n, sum(total) AS spent, max(placed_at) AS last"
        "  FROM orders_order GROUP BY customer_id) o ON o.customer_id = c.id "
        "WHERE c.orders_count <> coalesce(o.n, 0) OR c.total_spent <> coalesce(o.spent, 0) "
        "OR c.last_order_at IS DISTINCT FROM o.last"
    )
