"""Raw emails filed per second through the ingest service, against bare parsing; and the agent inbox's
server time and query count at 100k tickets, against the bare SQL of its ticket list.

Part 1, ingest. Generates N raw RFC 822 messages (a fixed seed): new requests in plain text or with an
HTML alternative, some with a small attachment, replies threaded by In-Reply-To to acknowledgements sent
earlier in the run, duplicates of messages already filed, and auto-replies. Then times:

- the baseline: `email.message_from_bytes(raw)` of every message (the standard library's parser, the
  least any filing must do);
- the service: `tickets.inbound.email_ingest(raw=...)` of every message, in this process, on PostgreSQL:
  parsing, threading, the customer, the ticket, routing, SLA due times, the acknowledgement with its
  knowledge-base search, attachments to disk, the `ticket_opened` event, each message in its own
  transaction as the endpoint and `ingest_email` run it.

Part 2, inbox. Adds tickets with COPY until there are --tickets (default 100,000) over 20,000
customers, then requests /console/inbox/ for each view through Django's test client as a signed-in
agent, timing the server side and counting queries, against the bare SQL of the same page of tickets.
"""

import argparse
import io
import random
import statistics
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import format_datetime

from bench._support import (
    BenchFailure,
    bench_cleanup,
    bench_setup,
    django_in_process,
    format_table,
    manage,
    percentile,
    ratio,
    run_main,
)

QUEUE = "carecrm-bench-tickets"
SUBJECTS = [
    "Where is my parcel?",
    "Refund for order {order}",
    "You charged me twice",
    "Wrong size, can I exchange?",
    "The kettle arrived damaged",
    "Change my delivery address",
    "Discount code not applied",
    "Question about the warranty",
]
WORDS = ("please help order parcel late refund charged size exchange damaged photo attached thanks").split()  # noqa: SIM905
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _message(rng: random.Random, n: int, *, sender: str, subject: str, headers: dict | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "care@shop.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(START + timedelta(minutes=n))
    message["Message-ID"] = f"<bench-{n}@mail.example>"
    for name, value in (headers or {}).items():
        message[name] = value
    text = " ".join(rng.choices(WORDS, k=rng.randint(20, 120)))
    message.set_content(f"Hello,\n\n{text}\n\nBest regards")
    if rng.random() < 0.4:
        message.add_alternative(f"<p>Hello,</p><p>{text}</p><p>Best regards</p>", subtype="html")
    if rng.random() < 0.1:
        message.add_attachment(rng.randbytes(20_000), maintype="image", subtype="jpeg", filename="photo.jpg")
    return message.as_bytes()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench ticket_ingest", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=15, help="requests per inbox view")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    options = parser.parse_args(argv)
    return run_main(lambda: run(options))


def run(options) -> int:
    database, queue, env = bench_setup("carecrm_bench_tickets", QUEUE)
    database.recreate()
    media = tempfile.mkdtemp(prefix="carecrm-bench-media-")
    env = {**env, "MEDIA_ROOT": media}
    manage("migrate", "--noinput", env=env)
    # The pages name their CSS through the static manifest, as in production.
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    try:
        django_in_process(env)
        ingest(options)
        inbox(options, database)
    finally:
        from django.db import connection

        connection.close()
        bench_cleanup(database, queue, user_pk=None, keep=options.keep)
    return 0


def ingest(options) -> None:
    from tickets.inbound import email_ingest
    from tickets.models import Message, Ticket

    rng = random.Random(options.seed)
    customers = [f"customer{n}@mail.example" for n in range(max(options.emails // 3, 1))]
    raws: list[bytes] = []
    kinds: list[str] = []
    filed_acks: list[int] = []  # index of messages whose acknowledgement a later reply answers
    for n in range(options.emails):
        roll = rng.random()
        sender = rng.choice(customers)
        if roll < 0.05 and raws:
            raws.append(rng.choice(raws))  # the same delivery twice
            kinds.append("duplicate")
        elif roll < 0.10:
            raws.append(
                _message(
                    rng, n, sender=sender, subject="Out of office", headers={"Auto-Submitted": "auto-replied"}
                )
            )
            kinds.append("auto-reply")
        elif roll < 0.35 and filed_acks:
            raws.append(
                _message(
                    rng,
                    n,
                    sender=sender,
                    subject="Re: your request",
                    headers={"X-Reply-To-Index": str(rng.choice(filed_acks))},
                )
            )
            kinds.append("reply")
        else:
            subject = rng.choice(SUBJECTS).format(order=100_000 + n)
            raws.append(_message(rng, n, sender=sender, subject=subject))
            kinds.append("new")
            filed_acks.append(n)

    began = time.perf_counter()
    for raw in raws:
        message_from_bytes(raw)
    parse_seconds = time.perf_counter() - began

    outcomes = {"created": 0, "duplicate": 0, "ignored": 0}
    ack_of: dict[int, str] = {}
    timings = []
    for index, raw in enumerate(raws):
        if kinds[index] == "reply":
            # Point the reply at the acknowledgement actually sent for the message it answers.
            target = int(message_from_bytes(raw)["X-Reply-To-Index"])
            ack = ack_of.get(target)
            if ack:
                raw = raw.replace(
                    b"X-Reply-To-Index:", f"In-Reply-To: <{ack}>\nX-Reply-To-Index:".encode(), 1
                )
        t0 = time.perf_counter()
        filed = email_ingest(raw=raw)
        timings.append(time.perf_counter() - t0)
        if filed.ignored:
            outcomes["ignored"] += 1
        elif filed.created:
            outcomes["created"] += 1
            if kinds[index] == "new":
                ack_of[index] = (
                    Message.objects.filter(ticket=filed.ticket, kind=Message.Kind.AUTO_REPLY)
                    .values_list("message_id", flat=True)
                    .first()
                )
        else:
            outcomes["duplicate"] += 1
    service_seconds = sum(timings)
    # Inbound messages beyond each ticket's first: the replies that landed on their ticket.
    threaded = Message.objects.filter(direction="inbound").count() - Ticket.objects.count()
    if outcomes["created"] == 0:
        raise BenchFailure("no message was filed")

    rows = [
        [
            "email.message_from_bytes",
            str(len(raws)),
            f"{parse_seconds:.2f}",
            f"{len(raws) / parse_seconds:.0f}",
            "1.00",
        ],
        [
            "email_ingest (service)",
            str(len(raws)),
            f"{service_seconds:.2f}",
            f"{len(raws) / service_seconds:.0f}",
            ratio((len(raws) / service_seconds) / (len(raws) / parse_seconds)),
        ],
    ]
    print()
    print(format_table(["", "emails", "seconds", "emails/s", "x parse"], rows))
    print(
        f"\nemail_ingest per message: median {statistics.median(timings) * 1000:.1f} ms, "
        f"p95 {percentile(timings, 95) * 1000:.1f} ms. Outcomes: {outcomes['created']} filed "
        f"of which {threaded} replies landed on their ticket by In-Reply-To ({kinds.count('reply')} sent), "
        f"{outcomes['duplicate']} duplicates filed once, {outcomes['ignored']} auto-replies ignored."
    )


def inbox(options, database) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tickets.models import Ticket

    existing = Ticket.objects.count()
    missing = max(options.tickets - existing, 0)
    agent = get_user_model().objects.create_user("bench-agent", password="x", is_staff=True)  # noqa: S106
    agent.groups.add(Group.objects.get(name="agent"))
    began = time.perf_counter()
    _tickets_copy(database, count=missing, agent_id=agent.pk, seed=options.seed)
    print(
        f"\n{missing} tickets added with COPY in {time.perf_counter() - began:.1f} s; "
        f"{Ticket.objects.count()} in all"
    )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    rows = []
    for view in ("all", "unassigned", "urgent", "breaching", "mine"):
        url = f"/console/inbox/?view={view}"
        client.get(url)  # warm
        times, counts = [], set()
        for _ in range(options.requests):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise BenchFailure(f"{url} answered {response.status_code}")
            counts.add(len(ctx.captured_queries))
        bare = _bare_page(connection, view, agent.pk, options.requests)
        rows.append(
            [
                view,
                f"{statistics.median(times) * 1000:.0f}",
                f"{percentile(times, 95) * 1000:.0f}",
                "/".join(str(c) for c in sorted(counts)),
                f"{statistics.median(bare) * 1000:.1f}",
                ratio(statistics.median(times) / statistics.median(bare)),
            ]
        )
    print()
    print(format_table(["inbox view", "p50 ms", "p95 ms", "queries", "bare list SQL p50 ms", "x bare"], rows))
    print(
        "Server time through Django's test client in this process (no network), signed in as an agent; "
        "the bare SQL is the page's 50 tickets with their customers, ordered as the inbox orders them. "
        "For scale: Zammad's CI holds its ticket overview to 1 s and 35 queries at 15,000 tickets."
    )


def _tickets_copy(database, *, count: int, agent_id: int, seed: int) -> None:
    if count <= 0:
        return
    rng = random.Random(seed)
    customers = 20_000
    now = datetime.now(UTC)
    with closing(database.connect(autocommit=False)) as conn, conn.cursor() as cursor:
        rows = io.StringIO()
        stamp = (now - timedelta(days=400)).isoformat()
        for n in range(customers):
            # email, phone, first and last name, registered, channel, country, city, consent and its source,
            # stage, orders, spend, created, updated, order-update opt-out
            fields = [f"bench-c{n}@mail.example", "", "Bench", f"Customer {n}", stamp, "", "", "", "f", ""]
            fields += ["prospect", "0", "0", stamp, stamp, "f"]
            rows.write("\t".join(fields) + "\n")
        rows.seek(0)
        cursor.copy_expert(
            "COPY customers_customer (email, phone, first_name, last_name, registered_at, "
            "acquisition_channel, country, city, marketing_opt_in, marketing_opt_in_source, lifecycle_stage, "
            "orders_count, total_spent, created_at, updated_at, order_updates_opt_out) FROM STDIN",
            rows,
        )
        cursor.execute("SELECT min(id), max(id) FROM customers_customer WHERE email LIKE 'bench-c%%'")
        low, high = cursor.fetchone()
        cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
        (offset,) = cursor.fetchone()
        statuses = ["new", "open", "open", "pending", "resolved", "resolved", "resolved", "closed"]
        priorities = ["low", "normal", "normal", "normal", "high", "urgent"]
        rows = io.StringIO()
        for n in range(count):
            created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 365))
            status = rng.choice(statuses)
            due = created + timedelta(hours=rng.randint(1, 48))
            assignee = str(agent_id) if rng.random() < 0.05 else r"\N"
            rows.write(
                "\t".join(
                    [
                        f"CR-B{offset + n + 1:07d}",
                        str(rng.randint(low, high)),
                        rng.choice(["email", "web", "chat", "phone"]),
                        rng.choice(SUBJECTS).format(order=n),
                        status,
                        rng.choice(priorities),
                        "other",
                        created.isoformat(),
                        created.isoformat(),
                        due.isoformat(),
                        (due + timedelta(days=3)).isoformat(),
                        assignee,
                        "[]",
                    ]
                )
                + "\n"
            )
        rows.seek(0)
        cursor.copy_expert(
            "COPY tickets_ticket (reference, customer_id, channel, subject, status, priority, category, "
            "created_at, updated_at, first_response_due_at, resolution_due_at, assignee_id, tags) FROM STDIN",
            rows,
        )
        conn.commit()
    database.execute("VACUUM ANALYZE")


def _bare_page(connection, view: str, agent_id: int, repeats: int) -> list[float]:
    where = {
        "all": "t.status IN ('new','open','pending','on_hold')",
        "unassigned": "t.status IN ('new','open','pending','on_hold') AND t.assignee_id IS NULL",
        "urgent": "t.status IN ('new','open','pending','on_hold') AND t.priority = 'urgent'",
        "breaching": "t.status IN ('new','open','pending','on_hold') AND t.sla_paused_at IS NULL AND "
        "((t.first_responded_at IS NULL AND t.first_response_due_at <= now() + interval '1 hour') "
        "OR t.resolution_due_at <= now() + interval '1 hour')",
        "mine": f"t.status IN ('new','open','pending','on_hold') AND t.assignee_id = {int(agent_id)}",
    }[view]
    sql = (
        "SELECT t.id, t.reference, t.subject, c.email FROM tickets_ticket t "
        f"JOIN customers_customer c ON c.id = t.customer_id WHERE {where} "
        # The same sort expression as the inbox's index (tickets.models.priority_rank), so both can use it.
        "ORDER BY CASE WHEN t.priority = 'urgent' THEN 0 WHEN t.priority = 'high' THEN 1 "
        "WHEN t.priority = 'normal' THEN 2 ELSE 3 END, "
        "t.first_response_due_at ASC NULLS LAST, t.created_at, t.id LIMIT 50"
    )
    times = []
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for _ in range(repeats):
            t0 = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append(time.perf_counter() - t0)
    return times
