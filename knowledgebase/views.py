"""The public help centre under /help/: the most useful answers first, search, articles with "was this
helpful?", and on every page a way to a person (/contact/, with the question carried over)."""

from django.contrib.sitemaps import Sitemap
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from carecrm import ratelimit
from carecrm.links import site_url
from knowledgebase import selectors, services
from knowledgebase.models import Article, Category, SearchQuery
from knowledgebase.search import articles_search, published
from knowledgebase.visitor import visitor_id, visitor_remember

PER_PAGE = 10
# (votes, seconds) per client address: plenty for a person, too few to stuff the ranking.
VOTE_LIMIT = (30, 3600)


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 6 else 1


# --- Pages ------------------------------------------------------------------------------------------


@require_GET
def home(request):
    return render(
        request,
        "knowledgebase/home.html",
        {**selectors.help_home(), "canonical": site_url(reverse("help:home"))},
    )


@require_GET
def category(request, slug: str):
    page = selectors.category_page(slug)
    if page is None:
        raise Http404("No such category.")
    canonical = site_url(reverse("help:category", kwargs={"slug": slug}))
    return render(request, "knowledgebase/category.html", {**page, "canonical": canonical})


@require_GET
def article(request, article_id: int, slug: str):
    page = selectors.article_page(article_id)
    if page is None:
        raise Http404("No such article.")
    if slug != page.slug:
        return redirect(page.url, permanent=True)
    search_id = request.GET.get("s", "")
    visitor = visitor_id(request)
    services.article_viewed(
        article_id=page.id,
        search_id=int(search_id) if search_id.isdigit() and len(search_id) < 12 else None,
        visitor=visitor,
    )
    response = render(
        request,
        "knowledgebase/article.html",
        {"article": page, "canonical": site_url(page.url), "voted": request.GET.get("voted")},
    )
    return visitor_remember(request, response)


@require_GET
def search(request):
    visitor = visitor_id(request)
    result = articles_search(
        query=request.GET.get("q", ""),
        source=SearchQuery.Source.HELP,
        page=_page_number(request),
        per_page=PER_PAGE,
        visitor=visitor,
    )
    response = render(request, "knowledgebase/search.html", {"result": result})
    return visitor_remember(request, response)


@require_POST
def vote(request, article_id: int):
    article = published().filter(pk=article_id).first()
    if article is None:
        raise Http404("No such article.")
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return HttpResponse("Say yes or no.", status=400, content_type="text/plain")
    if not ratelimit.hit(f"kb:vote:{ratelimit.client_ip(request)}", *VOTE_LIMIT):
        return HttpResponse(
            "Too many votes from here; try again later.", status=429, content_type="text/plain"
        )
    visitor = visitor_id(request)
    services.vote_record(
        article=article, visitor=visitor, helpful=helpful == "yes", comment=request.POST.get("comment", "")
    )
    context = {"article": article, "helpful": helpful == "yes"}
    if request.headers.get("HX-Request"):
        response = render(request, "knowledgebase/_voted.html", context)
    else:
        response = redirect(f"{article.get_absolute_url()}?voted={helpful}")
    return visitor_remember(request, response)


# --- For search engines -----------------------------------------------------------------------------


class ArticleSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return published().only("pk", "slug", "updated_at").order_by("pk")

    def lastmod(self, item: Article):
        return item.updated_at


class CategorySitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return Category.objects.filter(articles__status=Article.Status.PUBLISHED).distinct().order_by("pk")


class HomeSitemap(Sitemap):
    priority = 0.8

    def items(self):
        return ["help:home"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {"help": HomeSitemap, "categories": CategorySitemap, "articles": ArticleSitemap}
