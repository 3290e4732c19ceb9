"""GET /api/v1/kb/articles/ and /api/v1/kb/articles/{id}/: the published help centre for a store's own
pages or app. Published articles are public, so no token is needed; the anonymous throttle applies."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from carecrm.links import site_url
from knowledgebase.models import Article, Category, SearchQuery
from knowledgebase.search import articles_most_useful, articles_search


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name"]


class ArticleSerializer(serializers.ModelSerializer):
    category = CategorySerializer(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "summary",
            "kind",
            "policy",
            "category",
            "tags",
            "related_skus",
            "related_categories",
            "url",
            "body",
            "body_html",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, article: Article) -> str:
        return site_url(article.get_absolute_url())


class ArticleViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ArticleSerializer
    permission_classes = [AllowAny]

    def get_queryset(self):
        return articles_most_useful().select_related("category")

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Search words; the best match comes first."),
        ]
    )
    def list(self, request, *args, **kwargs):
        query = request.query_params.get("q", "").strip()
        if not query:
            return super().list(request, *args, **kwargs)
        paginator = self.paginator
        page_size = paginator.get_page_size(request) or 20
        page_text = request.query_params.get(paginator.page_query_param, "1")
        page = int(page_text) if page_text.isdigit() and len(page_text) < 6 else 1
        result = articles_search(query=query, source=SearchQuery.Source.API, page=page, per_page=page_size)
        url = request.build_absolute_uri()
        previous = None
        if result.has_previous:
            previous = (
                remove_query_param(url, paginator.page_query_param)
                if page == 2
                else replace_query_param(url, paginator.page_query_param, page - 1)
            )
        return Response(
            {
                "count": result.total,
                "next": replace_query_param(url, paginator.page_query_param, page + 1)
                if result.has_next
                else None,
                "previous": previous,
                "results": self.get_serializer(result.articles, many=True).data,
            }
        )
