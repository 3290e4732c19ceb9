from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first on /help/.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("help:category", kwargs={"slug": self.slug})


class Article(models.Model):
    class Kind(models.TextChoices):
        FAQ = "faq", "FAQ"
        GUIDE = "guide", "Guide"
        SPEC = "spec", "Product specification"
        MANUAL = "manual", "Manual"
        POLICY = "policy", "Policy"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Policy(models.TextChoices):
        """The policies /help/ shows before anything else; at most one published article each."""

        NONE = "", "—"
        SHIPPING = "shipping", "Shipping"
        RETURNS = "returns", "Returns"
        PRICE_PROTECTION = "price_protection", "Price protection"
        TRIAL = "trial", "Trial"

    title = models.CharField(max_length=200)
    # Not unique: the address carries the id (/help/articles/12-where-is-my-order/), so a title may change
    # and old links still land, redirected to the current slug.
    slug = models.SlugField(max_length=200, allow_unicode=True)
    summary = models.CharField(max_length=500, blank=True, default="")
    body = models.TextField(help_text="Markdown.")
    # Rendered from `body` and sanitised when the article is saved; what the pages show.
    body_html = models.TextField(editable=False, default="")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FAQ)
    policy = models.CharField(max_length=20, choices=Policy.choices, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    tags = models.JSONField(default=list, blank=True)
    related_skus = models.JSONField(default=list, blank=True)
    related_categories = models.JSONField(
        default=list, blank=True, help_text="Product categories of the shop this article is about."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    # What customers did with it; F() counters, read by the ranking.
    views_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)
    deflections_count = models.PositiveIntegerField(
        default=0, help_text="Searches or suggestions that led here and to no ticket."
    )

    # PostgreSQL: title (A), summary (B) and body (C), kept by knowledgebase.search.articles_index. SQLite
    # keeps its full-text index in the FTS5 table knowledgebase_article_fts instead and leaves this null.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [
            # /help/ and the category pages: published articles of a category.
            models.Index(fields=["status", "category"], name="kb_article_status_category"),
        ]
        # The search_vector GIN index and the title trigram index are PostgreSQL-only; migration 0002
        # creates them.
        constraints = [
            models.UniqueConstraint(
                fields=["policy"],
                condition=~Q(policy="") & Q(status="published"),
                name="kb_article_one_published_per_policy",
                violation_error_message="Another published article is already this policy's page.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("help:article", kwargs={"article_id": self.pk, "slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleRevision(models.Model):
    """What an article said after each save, and who saved it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True, default="")
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Article.Status.choices)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="kb_revision_article_number"),
        ]

    def __str__(self):
        return f"{self.title} (revision {self.number})"


class Vote(models.Model):
    """'Was this helpful?' from one visitor (an anonymous cookie id); voting again changes the answer."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    visitor = models.CharField(max_length=32)
    helpful = models.BooleanField()
    comment = models.TextField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "visitor"], name="kb_vote_one_per_visitor"),
        ]

    def __str__(self):
        return f"{'Helpful' if self.helpful else 'Not helpful'}: {self.article_id}"


class Term(models.Model):
    """Every word published articles use (or once used): what a misspelt search word is corrected to."""

    word = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.word


class SearchQuery(models.Model):
    """One search a customer (or the system on their behalf) ran, and what came of it."""

    class Source(models.TextChoices):
        HELP = "help", "Help centre"
        API = "api", "API"
        CONTACT = "contact", "Contact form suggestions"
        TICKET = "ticket", "Ticket auto-reply"

    text = models.CharField(max_length=200)
    # Lower-cased with spaces collapsed: the knowledge gaps group on it.
    normalized = models.CharField(max_length=200)
    corrected_to = models.CharField(max_length=200, blank=True, default="")
    source = models.CharField(max_length=10, choices=Source.choices)
    results_count = models.PositiveIntegerField()
    visitor = models.CharField(max_length=32, blank=True, default="")
    clicked_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The visitor opened a ticket afterwards: this search did not answer them.
    escalated = models.BooleanField(default=False)
    # Set once the deflection job has looked at it (a day later): counted or not, never again.
    settled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "search queries"
        indexes = [
            # The knowledge gaps: recent searches grouped by text.
            models.Index(fields=["created_at"], name="kb_search_created"),
            # Marking a visitor's recent searches escalated when they open a ticket.
            models.Index(fields=["visitor", "created_at"], name="kb_search_visitor_created"),
            # The deflection job: unsettled searches older than a day.
            models.Index(
                fields=["created_at"], condition=Q(settled_at__isnull=True), name="kb_search_unsettled"
            ),
        ]

    def __str__(self):
        return self.text
