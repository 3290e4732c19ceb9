"""Customer upserts/s through the API (gunicorn, PostgreSQL) against raw INSERT ... ON CONFLICT.

POST /api/v1/customers/ served by gunicorn against the same upserts sent as raw SQL through psycopg2.

Every customer is sent once (a create), then half of them again with a changed last name (an update),
from several threads over keep-alive connections. The baseline sends the same rows, in the same order
and from as many threads, each its own connection and each statement its own transaction, to a plain
table with the same columns in the same database.
"""

import argparse
import os
import random
from datetime import UTC, datetime, timedelta
from functools import partial

import psycopg2
from faker import Faker

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

QUEUE = "carecrm-bench"
RAW_TABLE = "bench_raw_customer"
# (country, Faker locale, phone country code, mobile prefix)
COUNTRIES = [
    ("DE", "de_DE", "49", "151"),
    ("FR", "fr_FR", "33", "6"),
    ("GB", "en_GB", "44", "7700"),
    ("IT", "it_IT", "39", "347"),
    ("ES", "es_ES", "34", "612"),
    ("NL", "nl_NL", "31", "6"),
]
CHANNELS = ["organic", "google_ads", "facebook", "instagram", "newsletter", "referral", ""]
DOMAINS = ["mail.example", "post.example", "inbox.example", "web.example"]
# Registrations spread over the two years before a fixed day, so the data is the same on every run.
REGISTERED_UNTIL = datetime(2026, 1, 1, tzinfo=UTC)

CREATE_RAW_TABLE = f"""
CREATE TABLE {RAW_TABLE} (
    id bigserial PRIMARY KEY,
    external_id varchar(100) NOT NULL UNIQUE,
    email varchar(254) NOT NULL DEFAULT '',
    phone varchar(32) NOT NULL DEFAULT '',
    first_name varchar(150) NOT NULL DEFAULT '',
    last_name varchar(150) NOT NULL DEFAULT '',
    registered_at timestamptz NOT NULL,
    acquisition_channel varchar(50) NOT NULL DEFAULT '',
    marketing_opt_in boolean NOT NULL DEFAULT false,
    country varchar(2) NOT NULL DEFAULT '',
    city varchar(100) NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
"""
# xmax is 0 on a freshly inserted row version, so RETURNING says which path the upsert took.
RAW_UPSERT = f"""
INSERT INTO {RAW_TABLE} (external_id, email, phone, first_name, last_name, registered_at,
                         acquisition_channel, marketing_opt_in, country, city)
VALUES (%(external_id)s, %(email)s, %(phone)s, %(first_name)s, %(last_name)s, %(registered_at)s,
        %(acquisition_channel)s, %(marketing_opt_in)s, %(country)s, %(city)s)
ON CONFLICT (external_id) DO UPDATE SET
    email = EXCLUDED.email, phone = EXCLUDED.phone, first_name = EXCLUDED.first_name,
    last_name = EXCLUDED.last_name, registered_at = EXCLUDED.registered_at,
    acquisition_channel = EXCLUDED.acquisition_channel, marketing_opt_in = EXCLUDED.marketing_opt_in,
    country = EXCLUDED.country, city = EXCLUDED.city, updated_at = now()
RETURNING xmax = 0
"""


# --- Data ------------------------------------------------------------------------------------------


def generate(count: int, seed: int) -> tuple[list[dict], list[dict]]:
    """`count` customers as a store would send them, and for a random half of them the same record
    again with a new last name. Emails and phones are unique, as they must be for distinct customers."""
    rng = random.Random(seed)
    fakers = {}
    for offset, (_, locale, _, _) in enumerate(COUNTRIES):
        fakers[locale] = Faker(locale)
        fakers[locale].seed_instance(seed + offset)
    customers = []
    for n in range(count):
        country, locale, dial, mobile = rng.choice(COUNTRIES)
        fake = fakers[locale]
        first, last = fake.first_name(), fake.last_name()
        registered = REGISTERED_UNTIL - timedelta(seconds=rng.randrange(2 * 365 * 24 * 3600))
        customers.append(
            {
                "external_id": f"BENCH-{n:07d}",
                "email": f"{ascii_slug(first)}.{ascii_slug(last)}.{n}@{rng.choice(DOMAINS)}",
                # The running number keeps phones unique; the spaces are how stores send them.
                "phone": f"+{dial} {mobile} {rng.randrange(100, 1000)} {n:06d}",
                "first_name": first,
                "last_name": last,
                "registered_at": registered.isoformat().replace("+00:00", "Z"),
                "acquisition_channel": rng.choice(CHANNELS),
                "marketing_opt_in": rng.random() < 0.6,
                "country": country,
                "city": fake.city(),
            }
        )
    updates = []
    for customer in rng.sample(customers, count // 2):
        fake = fakers[next(locale for c, locale, _, _ in COUNTRIES if c == customer["country"])]
        new_last = fake.last_name()
        while new_last == customer["last_name"]:
            new_last = fake.last_name()
        updates.append({**customer, "last_name": new_last})
    return customers, updates


# --- Clients ---------------------------------------------------------------------------------------


class CustomerApiClient(ApiClient):
    """Posts customers; each answers 201 (created) or 200 (updated), as the item expects."""

    warm_path = "/api/v1/customers/?external_id=warm-up"

    def send(self, item: tuple[dict, int]) -> str | None:
        payload, expected = item
        status, body = self.request("POST", "/api/v1/customers/", payload)
        if status == expected:
            return None
        # A 2xx other than the expected one is wrong too: the upsert took the other path.
        return (
            f"{payload['external_id']}: HTTP {status} (expected {expected}) "
            f"{body[:300].decode(errors='replace')}"
        )


class RawClient:
    """One autocommit psycopg2 connection: every upsert is its own transaction, as an API request is."""

    def __init__(self, database: BenchDatabase):
        self.database = database
        self.conn = database.connect(autocommit=True)
        self.cursor = self.conn.cursor()

    def warm(self) -> None:
        self.cursor.execute("SELECT 1")

    def send(self, item: tuple[dict, int]) -> str | None:
        payload, expected = item
        try:
            self.cursor.execute(RAW_UPSERT, payload)
        except psycopg2.Error as exc:
            # Autocommit: the failed statement took nothing else down with it, the connection is fine.
            return f"{payload['external_id']}: {exc.__class__.__name__}: {str(exc).strip()}"
        inserted = self.cursor.fetchone()[0]
        if inserted == (expected == 201):
            return None
        return f"{payload['external_id']}: {'inserted' if inserted else 'updated'} (expected the other)"

    def reset(self) -> None:
        self.conn.close()
        self.conn = self.database.connect(autocommit=True)
        self.cursor = self.conn.cursor()

    def close(self) -> None:
        self.conn.close()


# --- The benchmark ---------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench customer_upsert", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--customers", type=int, default=2000, help="customers to create (default 2000)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument(
        "--server-threads", type=int, default=4, help="threads per gunicorn worker (default 4)"
    )
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the generated data")
    parser.add_argument(
        "--database", default="carecrm_bench", help="bench database name (default carecrm_bench)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    if options.customers < 2 or options.threads < 1:
        parser.error("--customers must be at least 2 and --threads at least 1")
    return options


def main(argv: list[str]) -> int:
    options = _parse(argv)
    return run_main(partial(_run, options))


def _run(options: argparse.Namespace) -> int:
    load_before = os.getloadavg()[0]
    customers, updates = generate(options.customers, options.seed)
    creates = [(customer, 201) for customer in customers]
    changes = [(customer, 200) for customer in updates]
    expected_names = {c["external_id"]: (c["first_name"], c["last_name"]) for c in customers + updates}

    database, queue, env = bench_setup(options.database, QUEUE)
    user_pk = None
    database.recreate()
    try:
        manage("migrate", "--noinput", env=env)
        user_pk, token = integration_user(env)
        database.execute(CREATE_RAW_TABLE)

        with Gunicorn(env=env, workers=options.workers, threads=options.server_threads) as server:
            print(
                f"gunicorn on 127.0.0.1:{server.port}: {options.workers} workers x "
                f"{options.server_threads} threads; {options.threads} client threads; "
                f"{len(creates)} creates + {len(changes)} updates",
                flush=True,
            )
            # The baseline first: the API run leaves dead row versions that autovacuum may clean up
            # afterwards, which would slow whatever ran next.
            raw_open = partial(RawClient, database)
            raw = [
                run_pass("raw SQL insert", creates, threads=options.threads, open_client=raw_open),
                run_pass("raw SQL update", changes, threads=options.threads, open_client=raw_open),
            ]
            api_open = partial(CustomerApiClient, server.port, token)
            api = [
                run_pass("API create", creates, threads=options.threads, open_client=api_open),
                run_pass("API update", changes, threads=options.threads, open_client=api_open),
            ]
            published = queue.length()

        problems = _verify(database, expected_names)
        _report(options, api, raw, published=published, events=_events(database), load_before=load_before)
    finally:
        bench_cleanup(database, queue, user_pk=user_pk, keep=options.keep)

    errors = [error for result in api + raw for error in result.errors]
    for error in errors[:5]:
        print(f"ERROR {error}")
    if len(errors) > 5:
        print(f"... and {len(errors) - 5} more errors")
    if errors and not problems:
        problems.append(f"{len(errors)} requests failed")
    return verdict(problems)


def _events(database: BenchDatabase) -> dict[str, int]:
    return dict(database.rows("SELECT kind, count(*) FROM lifecycle_event GROUP BY kind ORDER BY kind"))


def _verify(database: BenchDatabase, expected_names: dict[str, tuple[str, str]]) -> list[str]:
    """What the run must have left behind: one customer and one `registered` event per customer, each
    with the name it was last sent with, in the app's tables and in the baseline's."""
    count = len(expected_names)
    problems = []
    customers = database.scalar("SELECT count(*) FROM customers_customer")
    if customers != count:
        problems.append(f"{customers} customers in the database, expected {count}")
    registered = database.scalar("SELECT count(*) FROM lifecycle_event WHERE kind = 'registered'")
    if registered != count:
        problems.append(f"{registered} registered events in the database, expected {count}")
    for table in ("customers_customer", RAW_TABLE):
        stored = {
            external_id: (first, last)
            for external_id, first, last in database.rows(
                f"SELECT external_id, first_name, last_name FROM {table}"
            )
        }
        wrong = [
            external_id for external_id, name in expected_names.items() if stored.get(external_id) != name
        ]
        if wrong:
            problems.append(f"{table}: {len(wrong)} customers missing or with a stale name, e.g. {wrong[:3]}")
        if table == RAW_TABLE and len(stored) != count:
            problems.append(f"{table}: {len(stored)} rows, expected {count}")
    return problems


def _report(
    options: argparse.Namespace,
    api: list[PassResult],
    raw: list[PassResult],
    *,
    published: int,
    events: dict[str, int],
    load_before: float,
) -> None:
    api_all = PassResult.combined("API all", api)
    raw_all = PassResult.combined("raw SQL all", raw)
    rows = [
        [
            result.label,
            str(result.count),
            f"{result.seconds:.2f}",
            f"{result.rate:.1f}",
            f"{result.percentile_ms(50):.1f}",
            f"{result.percentile_ms(95):.1f}",
            str(len(result.errors)),
        ]
        for result in [*api, api_all, *raw, raw_all]
    ]
    print()
    print(format_table(["", "upserts", "seconds", "upserts/s", "p50 ms", "p95 ms", "errors"], rows))
    print()
    relative = api_all.rate / raw_all.rate
    print(
        f"API reaches {ratio(relative)}x of raw SQL (creates {ratio(api[0].rate / raw[0].rate)}x, "
        f"updates {ratio(api[1].rate / raw[1].rate)}x): "
        f"raw SQL does {1 / relative:.0f} upserts per API upsert"
    )
    total_events = sum(events.values())
    print(
        f"Events recorded: {', '.join(f'{count} {kind}' for kind, count in events.items())}; "
        f"dispatch tasks published to Redis: {published} of {total_events} (no worker consumes them here)"
    )
    print(
        f"Note: the {options.threads} client threads, gunicorn and PostgreSQL share this machine's "
        f"{os.cpu_count()} CPU cores (the client itself used {_share(api_all)} of one core during the API "
        f"passes, {_share(raw_all)} during the raw SQL ones), so both figures are lower than on separate "
        "machines; compare the ratio between runs, not the absolute figures."
    )
    print_load_note(load_before)


def _share(result: PassResult) -> str:
    return f"{result.client_cpu_seconds / result.seconds:.0%}" if result.seconds else "n/a"
