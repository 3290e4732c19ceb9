"""The knowledge base in the admin. Articles are saved through knowledgebase.services, as the console
saves them: rendered, sanitised, revised, indexed and visible on /help/ at once. What customers did
(searches, votes) is read here, never edited."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from carecrm.admin import ReadOnlyAdmin, ReadOnlyInline
from knowledgebase import services
from knowledgebase.models import Article, ArticleRevision, Category, SearchQuery, Vote


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}


class RevisionInline(ReadOnlyInline):
    model = ArticleRevision
    fields = ["number", "title", "status", "editor", "created_at"]
    ordering = ["-number"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "category",
        "kind",
        "policy",
        "status",
        "views_count",
        "helpful_count",
        "updated_at",
    ]
    list_filter = ["status", "kind", "policy", "category"]
    list_select_related = ["category"]
    search_fields = ["title", "summary"]
    fields = list(services.ARTICLE_FIELDS)
    inlines = [RevisionInline]
    actions = ["publish", "unpublish"]

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in services.ARTICLE_FIELDS if name in form.cleaned_data
        }
        article = Article.objects.get(pk=obj.pk) if change else None
        saved = services.article_save(article=article, data=data, editor=request.user)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def _status_set(self, request, queryset, status: str) -> None:
        done = 0
        for article in queryset.order_by("pk"):
            try:
                services.article_status_set(article=article, status=status, editor=request.user)
                done += 1
            except ValidationError as error:
                self.message_user(request, f"{article}: {'; '.join(error.messages)}", messages.WARNING)
        self.message_user(request, f"{done} article(s) now {status}.")

    @admin.action(description="Publish", permissions=["change"])
    def publish(self, request, queryset):
        self._status_set(request, queryset, Article.Status.PUBLISHED)

    @admin.action(description="Unpublish", permissions=["change"])
    def unpublish(self, request, queryset):
        self._status_set(request, queryset, Article.Status.DRAFT)


@admin.register(SearchQuery)
class SearchQueryAdmin(ReadOnlyAdmin):
    list_display = [
        "text",
        "source",
        "results_count",
        "corrected_to",
        "clicked_article",
        "escalated",
        "created_at",
    ]
    list_filter = ["source", "escalated"]
    list_select_related = ["clicked_article"]
    search_fields = ["normalized"]
    date_hierarchy = "created_at"


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["article", "helpful", "comment", "updated_at"]
    list_filter = ["helpful"]
    list_select_related = ["article"]
