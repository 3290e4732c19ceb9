"""The customer page's server time on PostgreSQL, for a customer with a long history and for a median one,
against the raw SQL that fetches the same rows.

Generates a shop (default 20,000 background customers with a couple of orders, a ticket now and then and
about fifteen events each, so the tables are not empty and the indexes have work to do), then two
customers to look at:

- heavy: 500 orders of two items, each shipped, 100 tickets of three messages, 5,000 events;
- median: what the background customers have (two orders, one ticket, about fifteen events).

Each page is requested through Django's test client in this process, signed in as an agent: URL
routing, the session, permissions, every query, the template. The baseline replays the very SQL
statements that page ran (captured once, parameters inlined) through a raw cursor: the same rows, with
no ORM, no Python around them and no template. Both run alternately after a warm-up, so both see the
same cache.
"""

import argparse
import os
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import median

from bench._support import (
    BenchDatabase,
    BenchFailure,
    django_in_process,
    format_table,
    manage,
    percentile,
    ratio,
    run_main,
)

DATABASE = "carecrm_bench_customer_page"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
KINDS = ["order_placed", "shipment_created", "shipment_delivered", "message_sent", "message_opened",
         "ticket_opened", "ticket_replied", "stage_changed", "points_earned"]  # fmt: skip
BATCH = 5000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench customer_page", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--customers", type=int, default=20_000, help="background customers (default 20,000)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page (default 60)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    return run_main(lambda: run(options))


def run(options) -> int:
    database = BenchDatabase(DATABASE)
    print(f"Database {database.display_url()} (PostgreSQL {database.server_version()})", flush=True)
    database.recreate()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "carecrm.settings.base",
        "DATABASE_URL": database.url,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        # Django's test client calls itself "testserver".
        "ALLOWED_HOSTS": "testserver",
    }
    env.pop("REDIS_URL", None)
    manage("migrate", "--noinput", env=env)
    # Served as in production: hashed static file names from the manifest.
    manage("collectstatic", "--noinput", env=env)
    try:
        django_in_process(env)
        return measure(options, database)
    finally:
        if options.keep:
            print(f"Kept database {database.display_url()}")
        else:
            from django.db import connection

            connection.close()
            database.drop()


def _bulk(model, rows) -> None:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def generate(options) -> tuple[int, int]:
    """The background shop, then the heavy and the median customer; their ids."""
    from django.db import connection

    from customers.models import Customer, CustomerIdentity
    from lifecycle.models import Event
    from orders.models import Order, OrderItem, Shipment
    from tickets.models import Message, Ticket

    rng = random.Random(options.seed)
    total = options.customers + 2
    _bulk(
        Customer,
        (
            Customer(
                external_id=f"B{n:07d}",
                email=f"customer{n}@mail.example",
                first_name=f"First{n}",
                last_name=f"Last{n}",
                registered_at=NOW - timedelta(days=rng.randrange(30, 900)),
                lifecycle_stage="active",
                marketing_opt_in=n % 2 == 0,
            )
            for n in range(total)
        ),
    )
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    heavy_id, median_id = ids[-2], ids[-1]
    _bulk(
        CustomerIdentity,
        (
            CustomerIdentity(customer_id=pk, kind="email", value=f"customer{n}@mail.example")
            for n, pk in enumerate(ids)
        ),
    )

    def orders_for(customer_id: int, count: int):
        for k in range(count):
            yield Order(
                customer_id=customer_id,
                number=f"N{customer_id}-{k}",
                placed_at=NOW - timedelta(days=k + 1, hours=rng.randrange(24)),
                status="delivered",
                currency="EUR",
                total=Decimal("42.50"),
                amount_paid=Decimal("42.50"),
            )

    plan = [(pk, 2) for pk in ids[:-2]] + [(heavy_id, 500), (median_id, 2)]
    _bulk(Order, (order for pk, count in plan for order in orders_for(pk, count)))
    orders = list(Order.objects.values_list("pk", "placed_at"))
    _bulk(
        OrderItem,
        (
            OrderItem(
                order_id=pk,
                sku=f"SKU-{(pk + k) % 300}",
                name=f"Product {(pk + k) % 300}",
                category="home",
                quantity=1,
                unit_price=Decimal("21.25"),
            )
            for pk, _ in orders
            for k in range(2)
        ),
    )
    _bulk(
        Shipment,
        (
            Shipment(
                order_id=pk,
                external_id=f"S{pk}",
                carrier="dhl",
                tracking_number=f"JD{pk:012d}",
                status="delivered",
                shipped_at=placed + timedelta(days=1),
            )
            for pk, placed in orders
        ),
    )
    Customer.objects.filter(pk__in=[*ids[:-2], median_id]).update(
        orders_count=2, total_spent=Decimal("85.00"), last_order_at=NOW - timedelta(days=1)
    )
    Customer.objects.filter(pk=heavy_id).update(
        orders_count=500, total_spent=Decimal("21250.00"), last_order_at=NOW - timedelta(days=1)
    )

    ticket_plan = [(pk, 1) for pk in ids[:-2] if rng.random() < 0.3] + [(heavy_id, 100), (median_id, 1)]
    _bulk(
        Ticket,
        (
            Ticket(
                customer_id=pk,
                channel="email",
                subject=f"Question {k}",
                status="resolved",
                created_at=NOW - timedelta(days=k + 1),
                updated_at=NOW - timedelta(days=k),
            )
            for pk, count in ticket_plan
            for k in range(count)
        ),
    )
    with connection.cursor() as cursor:  # references come from the id, as ticket_open sets them
        cursor.execute("UPDATE tickets_ticket SET reference = 'CR-' || lpad(id::text, 6, '0')")
    tickets = list(Ticket.objects.values_list("pk", "created_at"))
    _bulk(
        Message,
        (
            Message(
                ticket_id=pk,
                direction="inbound" if k % 2 == 0 else "outbound",
                channel="email",
                subject="Question",
                text="Hello, where is my parcel?",
                created_at=created + timedelta(hours=k),
            )
            for pk, created in tickets
            for k in range(3)
        ),
    )

    def events_for(customer_id: int, count: int):
        for k in range(count):
            yield Event(
                customer_id=customer_id,
                kind=KINDS[k % len(KINDS)],
                occurred_at=NOW - timedelta(hours=k * 3 + 1),
                recorded_at=NOW,
                summary=f"Something that happened, number {k}",
                dispatched_at=NOW,
            )

    event_plan = [(pk, rng.randrange(8, 23)) for pk in ids[:-2]] + [(heavy_id, 5000), (median_id, 15)]
    _bulk(Event, (event for pk, count in event_plan for event in events_for(pk, count)))
    return heavy_id, median_id


def measure(options, database: BenchDatabase) -> int:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    began = time.perf_counter()
    heavy_id, median_id = generate(options)
    database.execute("VACUUM ANALYZE")
    counts = database.rows(
        "SELECT (SELECT count(*) FROM customers_customer), (SELECT count(*) FROM lifecycle_event), "
        "(SELECT count(*) FROM orders_order), (SELECT count(*) FROM tickets_ticket), "
        "(SELECT count(*) FROM tickets_message)"
    )[0]
    print(
        f"Generated {counts[0]:,} customers, {counts[1]:,} events, {counts[2]:,} orders, "
        f"{counts[3]:,} tickets, {counts[4]:,} messages in {time.perf_counter() - began:.0f} s",
        flush=True,
    )

    agent = get_user_model().objects.create_user("bench-agent", is_staff=True)
    agent.groups.add(Group.objects.get(name="agent"))
    client = Client()
    client.force_login(agent)

    results = []
    for label, customer_id in (("heavy", heavy_id), ("median", median_id)):
        url = f"/console/customers/{customer_id}/"
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise BenchFailure(f"{url} answered {response.status_code}")
        statements = [query["sql"] for query in captured.captured_queries]
        body = response.content.decode()
        if body.count('class="timeline-event"') != min(50, 5000 if label == "heavy" else 15):
            raise BenchFailure(f"the {label} page does not show its first page of the timeline")

        def page(url=url) -> None:
            client.get(url)

        def raw(statements=statements) -> None:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
                    cursor.fetchall()

        for _ in range(5):
            page(), raw()
        timings = {"page": [], "raw": []}
        rng = random.Random(options.seed)
        for _ in range(options.requests):
            order = [("page", page), ("raw", raw)]
            if rng.random() < 0.5:
                order.reverse()
            for name, call in order:
                t0 = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - t0)
        results.append((label, len(statements), timings))

    rows = [
        [
            label,
            str(queries),
            f"{median(t['raw']) * 1000:.1f}",
            f"{percentile(t['raw'], 95) * 1000:.1f}",
            f"{median(t['page']) * 1000:.1f}",
            f"{percentile(t['page'], 95) * 1000:.1f}",
            ratio(median(t["page"]) / median(t["raw"])),
        ]
        for label, queries, t in results
    ]
    print()
    print(
        format_table(
            ["customer", "queries", "raw SQL p50 ms", "raw p95 ms", "page p50 ms", "page p95 ms", "x p50"],
            rows,
        )
    )
    heavy_page = median(results[0][2]["page"])
    median_page = median(results[1][2]["page"])
    print()
    print(
        f"The heavy customer's page takes {heavy_page / median_page:.2f} times the median one's: the same "
        "queries, each reading one page of rows through an index (timeline by cursor, the latest ten "
        "orders, tickets and messages), so a long history costs little. The rest of the page's time "
        "over the raw SQL is Django's: the session and permissions, building objects from rows, and the "
        "template."
    )
    return 0
