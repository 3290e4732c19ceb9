"""Writing the knowledge base: articles with their revisions and index, votes, and what became of each
search (clicked, followed by a ticket, or answered the customer: a deflection)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils.text import slugify

from carecrm import clock
from knowledgebase.markdown import markdown_render
from knowledgebase.models import Article, ArticleRevision, SearchQuery, Vote
from knowledgebase.search import articles_index

CACHE_VERSION_KEY = "kb:version"
ARTICLE_FIELDS = (
    "title",
    "summary",
    "body",
    "kind",
    "policy",
    "status",
    "category",
    "tags",
    "related_skus",
    "related_categories",
)
# draft <-> published; the map stays explicit so a third status has to say where it may go.
TRANSITIONS = {
    Article.Status.DRAFT: {Article.Status.PUBLISHED},
    Article.Status.PUBLISHED: {Article.Status.DRAFT},
}


def cache_version() -> int:
    """The public pages cache under this number; any published change moves it, so the next request
    renders afresh on every process."""
    return cache.get_or_set(CACHE_VERSION_KEY, 1, timeout=None)


def _cache_version_bump() -> None:
    try:
        cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        cache.set(CACHE_VERSION_KEY, 2, timeout=None)


def _list_clean(values) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    cleaned = []
    for value in values or []:
        value = str(value).strip()[:100]
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned[:50]


@transaction.atomic
def article_save(
    *,
    article: Article | None = None,
    data: dict,
    editor: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Article:
    """Create or edit an article from `data` (any of ARTICLE_FIELDS), render and sanitise its body,
    record a revision, update its search index and make the change visible on the public pages at once.
    Raises ValidationError with the fields at fault."""
    now = now or clock.now()
    creating = article is None
    if creating:
        article = Article(created_at=now, author=editor)
    was_published = article.is_published and not creating
    status_before = article.status
    for name in ARTICLE_FIELDS:
        if name in data:
            value = data[name]
            if name in ("tags", "related_skus", "related_categories"):
                value = _list_clean(value)
            setattr(article, name, value)
    if not creating and article.status != status_before:
        _transition_check(status_before, article.status)
    article.slug = slugify(article.title, allow_unicode=True)[:200] or "article"
    article.body_html = markdown_render(article.body or "")
    article.updated_at = now
    if article.is_published and article.published_at is None:
        article.published_at = now
    _policy_check(article)
    article.full_clean(exclude=["author"])
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError as error:
        # Two editors publishing a page for the same policy at once: the constraint decides.
        raise ValidationError(
            {"policy": ["Another published article is already this policy's page."]}
        ) from error
    _revision_record(article=article, editor=editor, now=now)
    articles_index([article.pk])
    if article.is_published or was_published:
        transaction.on_commit(_cache_version_bump)
    return article


def _policy_check(article: Article) -> None:
    if not (article.policy and article.is_published):
        return
    holder = (
        Article.objects.filter(policy=article.policy, status=Article.Status.PUBLISHED)
        .exclude(pk=article.pk)
        .first()
    )
    if holder is not None:
        raise ValidationError(
            {"policy": [f"“{holder.title}” is already the published {article.get_policy_display()} page."]}
        )


def _transition_check(before: str, after: str) -> None:
    if after not in TRANSITIONS.get(before, set()):
        raise ValidationError({"status": [f"An article cannot go from {before} to {after}."]})


@transaction.atomic
def article_status_set(
    *, article: Article, status: str, editor: AbstractBaseUser | None, now: datetime | None = None
) -> Article:
    """Publish or unpublish. Publishing a draft again is refused, not repeated."""
    locked = Article.objects.select_for_update().get(pk=article.pk)
    _transition_check(locked.status, status)
    return article_save(article=locked, data={"status": status}, editor=editor, now=now)


def _revision_record(*, article: Article, editor, now: datetime) -> None:
    latest = article.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    ArticleRevision.objects.create(
        article=article,
        number=latest + 1,
        title=article.title,
        summary=article.summary,
        body=article.body,
        status=article.status,
        editor=editor,
        created_at=now,
    )


# --- What customers do with articles ----------------------------------------------------------------


def article_viewed(*, article_id: int, search_id: int | None = None, visitor: str = "") -> None:
    """Count a view; when the visitor came from a search or suggestion of theirs, that search led here."""
    Article.objects.filter(pk=article_id).update(views_count=F("views_count") + 1)
    if search_id is not None and visitor:
        SearchQuery.objects.filter(pk=search_id, visitor=visitor, clicked_article__isnull=True).update(
            clicked_article_id=article_id
        )


@transaction.atomic
def vote_record(
    *, article: Article, visitor: str, helpful: bool, comment: str = "", now: datetime | None = None
) -> Vote:
    """One vote per visitor and article; voting again moves the counters from the old answer to the new."""
    now = now or clock.now()
    comment = (comment or "").strip()[:1000]
    vote, created = Vote.objects.select_for_update().get_or_create(
        article=article,
        visitor=visitor,
        defaults={"helpful": helpful, "comment": comment, "created_at": now, "updated_at": now},
    )
    changes = {}
    if created:
        changes = {
            "helpful_count" if helpful else "unhelpful_count": F(
                "helpful_count" if helpful else "unhelpful_count"
            )
            + 1
        }
    elif vote.helpful != helpful:
        old, new = ("unhelpful_count", "helpful_count") if helpful else ("helpful_count", "unhelpful_count")
        changes = {old: F(old) - 1, new: F(new) + 1}
    if not created:
        vote.helpful = helpful
        vote.comment = comment or vote.comment
        vote.updated_at = now
        vote.save(update_fields=["helpful", "comment", "updated_at"])
    if changes:
        Article.objects.filter(pk=article.pk).update(**changes)
    return vote


def searches_escalate(*, visitor: str, now: datetime) -> int:
    """The visitor opened a ticket: their searches of the deflection window did not answer them."""
    if not visitor:
        return 0
    since = now - timedelta(hours=settings.CARECRM["KB_DEFLECTION_HOURS"])
    return SearchQuery.objects.filter(
        visitor=visitor, created_at__gte=since, created_at__lte=now, settled_at__isnull=True
    ).update(escalated=True)


def deflections_settle(*, now: datetime, batch: int = 5000) -> str:
    """A tick job. Searches older than the deflection window are settled once: one that led to an
    article and to no ticket counts as a deflection for that article."""
    cutoff = now - timedelta(hours=settings.CARECRM["KB_DEFLECTION_HOURS"])
    with transaction.atomic():
        ids = list(
            SearchQuery.objects.select_for_update(skip_locked=True)
            .filter(settled_at__isnull=True, created_at__lt=cutoff)
            .order_by("created_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return "no searches to settle"
        deflected = (
            SearchQuery.objects.filter(pk__in=ids, escalated=False, clicked_article__isnull=False)
            .values("clicked_article")
            .annotate(count=Count("pk"))
            .order_by("clicked_article")
        )
        counted = 0
        for row in deflected:
            Article.objects.filter(pk=row["clicked_article"]).update(
                deflections_count=F("deflections_count") + row["count"]
            )
            counted += row["count"]
        SearchQuery.objects.filter(pk__in=ids).update(settled_at=now)
    return f"{len(ids)} searches settled, {counted} deflections counted"
