"""The one knowledge-base search: /help/search/, GET /api/v1/kb/articles/?q=, the contact form's
suggestions and the ticket auto-reply all call `articles_search`.

How an answer is found:

1. The query is cleaned (control characters out, spaces collapsed, 200 characters at most) and cut into
   words (letters and digits only, 12 at most), so nothing a customer types reaches SQL as syntax.
2. A word no article uses is corrected to the closest word one does (candidates by trigram distance
   with `pg_trgm` on PostgreSQL, by length and first letter on SQLite, judged by difflib on both), and
   the corrected query is shown as "showing results for".
3. Articles matching any word are ranked by text relevance (title over summary over body, stemmed:
   PostgreSQL `ts_rank` over a weighted tsvector with a GIN index; SQLite FTS5 `bm25` with the same
   weights) times their usefulness to customers: views, helpful votes and deflections (`usefulness`).
4. Every search a customer runs is logged as a SearchQuery: the raw material of the knowledge gaps and of
   deflection.
"""

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery as TsQuery
from django.contrib.postgres.search import SearchRank, SearchVector, TrigramDistance
from django.db import connection
from django.db.models import Count, F, FloatField, QuerySet, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Ln

from carecrm import clock
from knowledgebase.models import Article, SearchQuery, Term

MAX_QUERY_CHARS = 200
MAX_WORDS = 12
MAX_PAGE = 100
# Words shorter than this are left as typed: too short to tell a typo from another word.
CORRECTABLE_MIN_LENGTH = 4
# How alike (difflib's ratio, 0 to 1) a typed word and an article's word must be for one to stand for the
# other: "refnud" and "refund" are 0.83, "shoe" and "show" 0.75.
CORRECTION_MIN_SIMILARITY = 0.75
CORRECTION_CANDIDATES = 20
# Title over summary over body. PostgreSQL's ts_rank weights are fixed at A=1.0, B=0.4, C=0.2; FTS5's
# bm25 takes the same proportions per column.
FTS5_WEIGHTS = (10.0, 4.0, 2.0)
FTS5_TABLE = "knowledgebase_article_fts"

_WORD = re.compile(r"[^\W_]+")


@dataclass
class SearchResult:
    query: str
    articles: list[Article]
    total: int
    page: int
    per_page: int
    corrected_query: str = ""
    search_id: int | None = None
    words: list[str] = field(default_factory=list)

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total and self.page < MAX_PAGE


def query_clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def query_words(text: str) -> list[str]:
    words = []
    for word in _WORD.findall(text.lower()):
        word = word[:50]
        if word not in words:
            words.append(word)
        if len(words) == MAX_WORDS:
            break
    return words


def usefulness():
    """How much customers got out of an article, from 1 up: more views, more helpful votes (a vote-less
    article counts as half helpful) and more deflections rank it higher among equally relevant answers."""
    helpful = Cast(F("helpful_count") + 1, FloatField())
    votes = Cast(F("helpful_count") + F("unhelpful_count") + 2, FloatField())
    return (
        Value(1.0)
        + Value(0.1) * Ln(Cast(F("views_count") + 1, FloatField()))
        + Value(0.25) * Ln(Cast(F("deflections_count") + 1, FloatField()))
        + helpful / votes
    )


def published() -> QuerySet[Article]:
    return Article.objects.filter(status=Article.Status.PUBLISHED)


def articles_most_useful(*, category_id: int | None = None) -> QuerySet[Article]:
    articles = published()
    if category_id is not None:
        articles = articles.filter(category_id=category_id)
    return articles.annotate(score=usefulness()).order_by("-score", "pk")


def articles_search(
    *,
    query: str,
    source: str,
    page: int = 1,
    per_page: int = 10,
    visitor: str = "",
    prefix: bool = False,
    record: bool = True,
    exclude_ids: Iterable[int] = (),
    replaces: int | None = None,
    now: datetime | None = None,
) -> SearchResult:
    """Published articles for `query`, best first, one page of them. `prefix` treats the last word as
    still being typed (the contact form's suggestions). `record` logs the search as a SearchQuery;
    `replaces` names this visitor's log row of the same question still being typed, which is updated
    instead of logging every keystroke."""
    text = query_clean(query)
    page = min(max(page, 1), MAX_PAGE)
    words = query_words(text)
    # A word still being typed is a prefix, not a typo.
    corrections = _corrections(words[:-1] if prefix else words) if words else {}
    searched = [corrections.get(word, word) for word in words]
    corrected_query = " ".join(searched) if corrections else ""
    if not searched:
        articles, total = [], 0
    else:
        matches = _matches(searched, prefix=prefix).exclude(pk__in=list(exclude_ids))
        offset = (page - 1) * per_page
        # Ranking visits every match anyway, so the same query counts them (COUNT(*) OVER ()). It
        # carries ids and scores only; the page's few articles are read whole afterwards, rather than
        # dragging every match's body through the sort.
        ranked = list(
            matches.annotate(matched=Window(Count("pk"))).values_list("pk", "matched")[
                offset : offset + per_page
            ]
        )
        page_ids = [pk for pk, _matched in ranked]
        total = ranked[0][1] if ranked else (matches.count() if offset else 0)
        found = Article.objects.select_related("category").in_bulk(page_ids)
        articles = [found[pk] for pk in page_ids if pk in found]
    result = SearchResult(
        query=text,
        articles=articles,
        total=total,
        page=page,
        per_page=per_page,
        corrected_query=corrected_query,
        words=searched,
    )
    if record and text:
        result.search_id = _search_log(
            replaces=replaces,
            text=text,
            normalized=text.lower(),
            corrected_to=corrected_query[:200],
            source=source,
            results_count=total,
            visitor=visitor,
            created_at=now or clock.now(),
        )
    return result


# A suggestion typed again within this long continues the same question.
TYPING_WINDOW = timedelta(minutes=10)


def _search_log(*, replaces: int | None, visitor: str, source: str, **fields) -> int:
    if visitor and replaces is None and source == SearchQuery.Source.CONTACT:
        # The page may not know its row yet (a keystroke's request overtaken by the next): the visitor's
        # latest suggestion row of a few minutes ago, for text one extends the other, is this question.
        latest = (
            SearchQuery.objects.filter(
                visitor=visitor,
                source=source,
                settled_at__isnull=True,
                created_at__gte=fields["created_at"] - TYPING_WINDOW,
            )
            .order_by("-pk")
            .values_list("pk", "normalized", "escalated")
            .first()
        )
        if latest and (
            fields["normalized"].startswith(latest[1]) or latest[1].startswith(fields["normalized"])
        ):
            if latest[2]:
                return latest[0]  # a keystroke's request arriving after the question was sent as a ticket
            replaces = latest[0]
    if replaces is not None and visitor:
        updated = SearchQuery.objects.filter(
            pk=replaces, visitor=visitor, source=source, settled_at__isnull=True, escalated=False
        ).update(**fields)
        if updated:
            return replaces
    return SearchQuery.objects.create(visitor=visitor, source=source, **fields).pk


def _matches(words: list[str], *, prefix: bool) -> QuerySet[Article]:
    if connection.vendor == "postgresql":
        return _pg_matches(words, prefix=prefix)
    return _sqlite_matches(words, prefix=prefix)


def _pg_matches(words: list[str], *, prefix: bool) -> QuerySet[Article]:
    config = settings.CARECRM["KB_SEARCH_CONFIG"]
    parts = [TsQuery(word, search_type="plain", config=config) for word in words]
    if prefix:
        # Safe as raw tsquery syntax: query_words keeps letters and digits only.
        parts[-1] = TsQuery(f"{words[-1]}:*", search_type="raw", config=config)
    tsquery = parts[0]
    for part in parts[1:]:
        tsquery = tsquery | part
    return (
        published()
        .filter(search_vector=tsquery)
        .annotate(score=SearchRank(F("search_vector"), tsquery) * usefulness())
        .order_by("-score", "pk")
    )


def _fts5_expression(words: list[str], *, prefix: bool) -> str:
    # Every word a quoted FTS5 string (quotes doubled), so no word is read as an operator or column name.
    terms = ['"{}"'.format(word.replace('"', '""')) for word in words]
    if prefix:
        terms[-1] += "*"
    return " OR ".join(terms)


def _sqlite_matches(words: list[str], *, prefix: bool) -> QuerySet[Article]:
    expression = _fts5_expression(words, prefix=prefix)
    weights = ", ".join(str(weight) for weight in FTS5_WEIGHTS)
    # bm25 is lower for better matches; its negation ranks like ts_rank.
    # The SQL is constants; the user's words travel as the parameter.
    relevance = RawSQL(  # noqa: S611
        f"SELECT -bm25({FTS5_TABLE}, {weights}) FROM {FTS5_TABLE} "  # noqa: S608 (constants only)
        f"WHERE {FTS5_TABLE} MATCH %s AND {FTS5_TABLE}.rowid = knowledgebase_article.id",
        [expression],
        output_field=FloatField(),
    )
    matching_ids = RawSQL(f"SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s", [expression])  # noqa: S608, S611
    return (
        published()
        .filter(pk__in=matching_ids)
        .annotate(score=relevance * usefulness())
        .order_by("-score", "pk")
    )


# --- Typos ------------------------------------------------------------------------------------------


def _corrections(words: list[str]) -> dict[str, str]:
    """{typed word: the articles' word it most likely meant}, for words no article uses."""
    known = set(Term.objects.filter(word__in=words).values_list("word", flat=True))
    unknown = [word for word in words if word not in known and len(word) >= CORRECTABLE_MIN_LENGTH]
    corrections = {}
    for word in unknown:
        match = _closest_term(word)
        if match and match != word:
            corrections[word] = match
    return corrections


def _closest_term(word: str) -> str | None:
    """The articles' word nearest `word`, if it is near enough. The candidates come from the database
    (PostgreSQL: the trigram-nearest through a GiST index; SQLite: words of about the same length with
    the same first letter); difflib picks among them, so both databases judge "near enough" alike."""
    if connection.vendor == "postgresql":
        candidates = Term.objects.order_by(TrigramDistance("word", word)).values_list("word", flat=True)[
            :CORRECTION_CANDIDATES
        ]
    else:
        candidates = Term.objects.filter(
            word__startswith=word[0], word__regex=rf"^.{{{max(len(word) - 2, 1)},{len(word) + 2}}}$"
        ).values_list("word", flat=True)[:5000]
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=CORRECTION_MIN_SIMILARITY)
    return found[0] if found else None


# --- Keeping the index ------------------------------------------------------------------------------


def articles_index(article_ids: list[int]) -> None:
    """Bring the full-text index and the word list up to date with these articles. Runs in the caller's
    transaction: an article and its index change together."""
    if not article_ids:
        return
    if connection.vendor == "postgresql":
        config = settings.CARECRM["KB_SEARCH_CONFIG"]
        Article.objects.filter(pk__in=article_ids).update(
            search_vector=SearchVector("title", weight="A", config=config)
            + SearchVector("summary", weight="B", config=config)
            + SearchVector("body", weight="C", config=config)
        )
    rows = list(
        Article.objects.filter(pk__in=article_ids).values_list("pk", "title", "summary", "body", "status")
    )
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {FTS5_TABLE} WHERE rowid = %s", [(pk,) for pk in article_ids])  # noqa: S608
            cursor.executemany(
                f"INSERT INTO {FTS5_TABLE} (rowid, title, summary, body) VALUES (%s, %s, %s, %s)",  # noqa: S608
                [row[:4] for row in rows],
            )
    # Only published words: a correction must not reveal what a draft is about.
    terms_add(
        " ".join(
            f"{title} {summary} {body}" for _pk, title, summary, body, status in rows if status == "published"
        )
    )


def terms_add(text: str) -> None:
    words = {word for word in _WORD.findall(text.lower()) if 3 <= len(word) <= 50 and not word.isdigit()}
    Term.objects.bulk_create(
        [Term(word=word) for word in sorted(words)], ignore_conflicts=True, batch_size=1000
    )
