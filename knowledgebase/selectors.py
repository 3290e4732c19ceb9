"""Reading the knowledge base for the public pages. What /help/ and the article pages show is built into
plain data here and cached under the knowledge base's cache version, which every published change moves
(services.cache_version): cached for speed, yet never stale."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber

from knowledgebase.models import Article, Category, SearchQuery, Vote
from knowledgebase.search import articles_most_useful, published, usefulness
from knowledgebase.services import cache_version

TOP_PER_CATEGORY = 5
RELATED_COUNT = 4
CACHE_SECONDS = 60 * 60
POLICY_ORDER = [choice for choice, _label in Article.Policy.choices if choice]


@dataclass(frozen=True)
class ArticleLink:
    id: int
    title: str
    summary: str
    url: str
    kind: str

    @classmethod
    def of(cls, article: Article) -> "ArticleLink":
        return cls(article.pk, article.title, article.summary, article.get_absolute_url(), article.kind)


@dataclass(frozen=True)
class CategoryTop:
    name: str
    slug: str
    description: str
    url: str
    articles: list[ArticleLink]
    total: int


@dataclass(frozen=True)
class ArticlePage:
    id: int
    slug: str
    title: str
    summary: str
    body_html: str
    kind: str
    kind_label: str
    updated_at: datetime
    url: str
    category_name: str
    category_url: str
    related: list[ArticleLink]


def _cached(key: str, build):
    versioned = f"kb:{cache_version()}:{key}"
    value = cache.get(versioned)
    if value is None:
        value = build()
        cache.set(versioned, value, CACHE_SECONDS)
    return value


def help_home() -> dict:
    """The policy pages in their fixed order and each category's most useful answers."""
    return _cached("home", _help_home_build)


def _help_home_build() -> dict:
    # 1: the published policy pages.
    policies = {a.policy: ArticleLink.of(a) for a in published().exclude(policy="")}
    # 2: the categories with their published article counts.
    categories = list(
        Category.objects.annotate(
            total=Count("articles", filter=Q(articles__status=Article.Status.PUBLISHED))
        )
        .filter(total__gt=0)
        .order_by("position", "name")  # Meta.ordering does not apply to a GROUP BY query
    )
    # 3: the top answers of every category at once, numbered within their category by usefulness.
    ranked = (
        published()
        .annotate(
            place=Window(
                RowNumber(), partition_by=[F("category_id")], order_by=[usefulness().desc(), F("pk").asc()]
            )
        )
        .filter(place__lte=TOP_PER_CATEGORY)
        .order_by("category_id", "place")
    )
    tops: dict[int, list[ArticleLink]] = {}
    for article in ranked:
        tops.setdefault(article.category_id, []).append(ArticleLink.of(article))
    return {
        "policies": [policies[policy] for policy in POLICY_ORDER if policy in policies],
        "categories": [
            CategoryTop(c.name, c.slug, c.description, c.get_absolute_url(), tops.get(c.pk, []), c.total)
            for c in categories
        ],
    }


def category_page(slug: str) -> dict | None:
    def build():
        category = Category.objects.filter(slug=slug).first()
        if category is None:
            return {"missing": True}
        articles = [ArticleLink.of(a) for a in articles_most_useful(category_id=category.pk)[:200]]
        return {"name": category.name, "description": category.description, "articles": articles}

    page = _cached(f"category:{slug}", build)
    return None if page.get("missing") else page


def article_page(article_id: int) -> ArticlePage | None:
    def build():
        article = published().select_related("category").filter(pk=article_id).first()
        if article is None:
            return "missing"
        related = articles_most_useful(category_id=article.category_id).exclude(pk=article.pk)[:RELATED_COUNT]
        return ArticlePage(
            id=article.pk,
            slug=article.slug,
            title=article.title,
            summary=article.summary,
            body_html=article.body_html,
            kind=article.kind,
            kind_label=article.get_kind_display(),
            updated_at=article.updated_at,
            url=article.get_absolute_url(),
            category_name=article.category.name,
            category_url=article.category.get_absolute_url(),
            related=[ArticleLink.of(a) for a in related],
        )

    page = _cached(f"article:{article_id}", build)
    return None if page == "missing" else page


# --- The knowledge gaps -----------------------------------------------------------------------------


def knowledge_gaps(*, now: datetime, days: int = 30, limit: int = 20) -> dict:
    """What customers asked that the articles do not answer, for the editors:
    - searches with no result, most frequent first;
    - searches that ended in a ticket all the same (low satisfaction);
    - ticket subjects that found no article (the auto-reply's searches);
    - articles voted unhelpful, with the comments left."""
    since = now - timedelta(days=days)
    recent = SearchQuery.objects.filter(created_at__gte=since)

    def grouped(queryset):
        return list(
            queryset.values("normalized")
            .annotate(count=Count("pk"), visitors=Count("visitor", distinct=True))
            .order_by("-count", "normalized")[:limit]
        )

    customer_sources = [SearchQuery.Source.HELP, SearchQuery.Source.CONTACT, SearchQuery.Source.API]
    unhelpful = list(
        Article.objects.filter(unhelpful_count__gt=0)
        .annotate(score=F("helpful_count") - F("unhelpful_count"))
        .filter(unhelpful_count__gte=F("helpful_count"))
        .order_by("score", "-unhelpful_count", "pk")[:limit]
    )
    comments = {}
    for vote in (
        Vote.objects.filter(article__in=unhelpful, helpful=False)
        .exclude(comment="")
        .order_by("-updated_at")[: limit * 5]
    ):
        comments.setdefault(vote.article_id, []).append(vote.comment)
    for article in unhelpful:
        article.unhelpful_comments = comments.get(article.pk, [])[:5]
    return {
        "since": since,
        "zero_results": grouped(recent.filter(results_count=0, source__in=customer_sources)),
        "escalated": grouped(recent.filter(escalated=True, results_count__gt=0, source__in=customer_sources)),
        "ticket_subjects": grouped(recent.filter(source=SearchQuery.Source.TICKET, results_count=0)),
        "unhelpful": unhelpful,
    }
