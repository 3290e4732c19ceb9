"""Knowledge-base search latency over 100k articles on PostgreSQL: knowledgebase.search.articles_search
against the bare full-text SQL query.

Generates N articles (default 100,000; a fixed seed) with titles, summaries and bodies drawn from an
English vocabulary with Zipf-like word frequencies, so common words match tens of thousands of articles
and rare ones a handful, as in a real help centre. Rows are written with COPY, then indexed through
knowledgebase.search.articles_index (the weighted tsvector and the word list), as an editor's save does.

Then each query of a fixed mix (one word, two or three words, a misspelt word) runs through:

- the baseline: one raw psycopg2 query, the bare full-text search: published articles whose tsvector
  matches any of the words, ordered by ts_rank, the first 10;
- the service: `articles_search(query=..., source="api", per_page=10)`, in this process, as the API
  and the help pages call it: cleaning, typo correction, the count, the ranked page blended with
  usefulness, the articles with their categories, and the SearchQuery log row.

Each query runs once untimed, then the two are timed alternately, so both see the same cache.
"""

import argparse
import io
import itertools
import os
import random
import time
from contextlib import closing
from datetime import UTC, datetime
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

DATABASE = "carecrm_bench_kb"
CATEGORIES = 24
DOMAIN_WORDS = [
    "refund",
    "return",
    "delivery",
    "parcel",
    "shipping",
    "order",
    "payment",
    "invoice",
    "voucher",
    "coupon",
    "discount",
    "warranty",
    "exchange",
    "tracking",
    "courier",
    "address",
    "cancel",
    "account",
    "password",
    "subscription",
    "gift",
    "size",
    "colour",
    "repair",
    "battery",
    "charger",
    "assembly",
    "instructions",
    "cleaning",
    "fabric",
    "cotton",
    "linen",
    "ceramic",
    "glass",
    "damage",
    "missing",
    "late",
    "customs",
    "duties",
    "express",
    "pickup",
    "locker",
    "store",
    "loyalty",
    "points",
    "trial",
    "price",
    "protection",
    "stock",
]
WRITTEN = datetime(2026, 1, 1, tzinfo=UTC)


def vocabulary() -> list[str]:
    from faker.providers.lorem.en_US import Provider

    words = [word for word in dict.fromkeys(Provider.word_list) if len(word) >= 3]
    return list(dict.fromkeys(DOMAIN_WORDS + words))


def generate(rng: random.Random, words: list[str], count: int) -> io.StringIO:
    """Tab-separated article rows for COPY."""
    # Zipf-like: the k-th word is drawn with weight 1/k.
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))

    def text(n: int) -> str:
        return " ".join(rng.choices(words, cum_weights=cumulative, k=n))

    out = io.StringIO()
    stamp = WRITTEN.isoformat()
    for number in range(count):
        title = text(rng.randint(3, 8)).capitalize()
        summary = text(rng.randint(12, 25)) + "."
        body = ". ".join(text(rng.randint(8, 20)) for _ in range(rng.randint(5, 14))) + "."
        status = "draft" if rng.random() < 0.05 else "published"
        row = [
            title,
            f"article-{number}",
            summary,
            body,
            f"<p>{body}</p>",
            "faq",
            "",
            status,
            str(rng.randint(1, CATEGORIES)),
            "[]",
            "[]",
            "[]",
            stamp,
            stamp,
            stamp if status == "published" else r"\N",
            str(int(rng.paretovariate(1.2) * 10)),
            str(rng.randint(0, 20)),
            str(rng.randint(0, 5)),
            str(rng.randint(0, 10)),
        ]
        out.write("\t".join(row) + "\n")
    out.seek(0)
    return out


ARTICLE_COLUMNS = (
    "title, slug, summary, body, body_html, kind, policy, status, category_id, tags, related_skus, "
    "related_categories, created_at, updated_at, published_at, views_count, helpful_count, "
    "unhelpful_count, deflections_count"
)


def queries(rng: random.Random, words: list[str], count: int) -> list[tuple[str, str]]:
    """(kind, query) pairs: most single words, some phrases, some with a typo."""
    common, rarer = words[:60], words[60:]
    mix = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.45:
            mix.append(("one word", rng.choice(common if rng.random() < 0.6 else rarer)))
        elif roll < 0.85:
            mix.append(("2-3 words", " ".join(rng.sample(common + rarer[:300], rng.randint(2, 3)))))
        else:
            word = rng.choice([w for w in common + rarer[:300] if len(w) >= 6])
            i = rng.randrange(1, len(word) - 2)
            mix.append(("misspelt", word[:i] + word[i + 1] + word[i] + word[i + 2 :]))
    return mix


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench kb_search", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
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
    }
    env.pop("REDIS_URL", None)
    manage("migrate", "--noinput", env=env)
    try:
        return measure(options, database, env)
    finally:
        if options.keep:
            print(f"Kept database {database.display_url()}")
        else:
            database.drop()


def measure(options, database: BenchDatabase, env: dict[str, str]) -> int:
    rng = random.Random(options.seed)
    words = vocabulary()

    began = time.perf_counter()
    with closing(database.connect(autocommit=False)) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO knowledgebase_category (id, name, slug, description, position) "
            "VALUES (%s, %s, %s, '', 0)",
            [(n, f"Topic {n}", f"topic-{n}") for n in range(1, CATEGORIES + 1)],
        )
        cursor.copy_expert(
            f"COPY knowledgebase_article ({ARTICLE_COLUMNS}) FROM STDIN",
            generate(rng, words, options.articles),
        )
        conn.commit()
    generated = time.perf_counter() - began
    print(f"{options.articles} articles generated and copied in {generated:.1f} s", flush=True)

    # The app in this process, on the bench database.
    django_in_process(env)
    from django.db import connection, transaction

    from knowledgebase.models import Article, SearchQuery
    from knowledgebase.search import articles_index, articles_search

    began = time.perf_counter()
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 5000):
        with transaction.atomic():
            articles_index(ids[start : start + 5000])
    indexed = time.perf_counter() - began
    print(
        f"Indexed through articles_index in {indexed:.1f} s ({len(ids) / indexed:.0f} articles/s)", flush=True
    )
    database.execute("VACUUM ANALYZE")

    config = "english"
    sample = queries(rng, words, options.queries)

    def bare(query: str) -> int:
        # The same words, any of them, as the service searches for.
        terms = [word for word in query.lower().split() if word]
        tsquery = " || ".join(["plainto_tsquery(%s::regconfig, %s)"] * len(terms))
        params = [p for term in terms for p in (config, term)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, title FROM knowledgebase_article, ({'SELECT ' + tsquery}) AS q(query) "
                "WHERE status = 'published' AND search_vector @@ q.query "
                "ORDER BY ts_rank(search_vector, q.query) DESC LIMIT 10",
                params,
            )
            return len(cursor.fetchall())

    def service(query: str) -> int:
        return len(articles_search(query=query, source=SearchQuery.Source.API, per_page=10).articles)

    timings: dict[str, dict[str, list[float]]] = {}
    found = {"bare": 0, "service": 0}
    for kind, query in sample:
        bare(query), service(query)  # untimed: both see the same warm cache
        order = [("bare", bare), ("service", service)]
        if rng.random() < 0.5:
            order.reverse()
        for label, run_query in order:
            t0 = time.perf_counter()
            found[label] += run_query(query)
            elapsed = time.perf_counter() - t0
            timings.setdefault(kind, {}).setdefault(label, []).append(elapsed)
            timings.setdefault("all", {}).setdefault(label, []).append(elapsed)
    if found["service"] < found["bare"]:
        raise BenchFailure(f"the service found fewer results than the bare query: {found}")

    rows = []
    for kind in ["all", "one word", "2-3 words", "misspelt"]:
        if kind not in timings:
            continue
        b, s = timings[kind]["bare"], timings[kind]["service"]
        rows.append(
            [
                kind,
                str(len(b)),
                f"{median(b) * 1000:.1f}",
                f"{percentile(b, 95) * 1000:.1f}",
                f"{median(s) * 1000:.1f}",
                f"{percentile(s, 95) * 1000:.1f}",
                ratio(median(s) / median(b)),
                ratio(percentile(s, 95) / percentile(b, 95)),
            ]
        )
    print()
    print(
        format_table(
            [
                "queries",
                "n",
                "bare p50 ms",
                "bare p95 ms",
                "service p50 ms",
                "service p95 ms",
                "x p50",
                "x p95",
            ],
            rows,
        )
    )
    print()
    print(
        f"{options.articles} articles ({len(words)}-word vocabulary, Zipf-like), {options.queries} queries; "
        f"results returned: bare {found['bare']}, service {found['service']} (misspelt words find nothing "
        "bare; the service corrects them first). The service's extra work per search: the known-words "
        "check, typo correction where needed, usefulness blended into the rank, the count of all matches "
        "(in the ranking query), the page's articles with their categories, and the log row it writes. "
        "Both rank every match (ts_rank reads each matching tsvector), so both grow with how many articles "
        "a query matches; the common words here match most of the articles."
    )
    connection.close()  # the database is dropped next
    return 0
