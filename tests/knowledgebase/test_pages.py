"""/help/: pages, caching that never goes stale, votes, deflection, the sitemap and the query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecrm import clock
from knowledgebase import services
from knowledgebase.models import Article, SearchQuery, Vote
from knowledgebase.visitor import VISITOR_COOKIE
from tests.knowledgebase.factories import ArticleFactory, CategoryFactory

pytestmark = pytest.mark.django_db


def queries_of(client, url: str, expected_status: int = 200) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == expected_status, response.content[:500]
    return len(ctx.captured_queries), response


def help_centre(articles_per_category: int, categories: int = 3) -> list[Article]:
    made = []
    for c in range(categories):
        category = CategoryFactory(name=f"Topic {c}")
        made += ArticleFactory.create_batch(articles_per_category, category=category, body="About parcels.")
    if not Article.objects.filter(policy=Article.Policy.RETURNS).exists():
        ArticleFactory(title="Returns policy", policy=Article.Policy.RETURNS, kind=Article.Kind.POLICY)
    return made


# --- /help/ -----------------------------------------------------------------------------------------


def test_help_shows_the_policies_first_and_each_categorys_most_useful_answers(client):
    articles = help_centre(articles_per_category=7)
    best = articles[3]
    Article.objects.filter(pk=best.pk).update(helpful_count=30, views_count=400)
    ArticleFactory(title="Unfinished draft", status=Article.Status.DRAFT, category=best.category)

    response = client.get("/help/")

    html = response.content.decode()
    assert html.index("Returns policy") < html.index("Topic 0")
    topic = html[html.index("Topic 0") : html.index("Topic 1")]
    assert topic.index(best.title) < topic.index(articles[0].title)
    assert topic.count("<li>") == 5  # the top five, and a link to all seven
    assert "All 7 articles" in topic
    assert "Unfinished draft" not in html
    assert 'href="/contact/"' in html
    assert '<link rel="canonical" href="http://testserver/help/"' in html or 'rel="canonical"' in html


def test_help_costs_the_same_queries_for_few_or_many_articles_and_none_once_cached(client):
    help_centre(articles_per_category=2)
    # Cold: 1 the policies, 2 the categories with their counts, 3 the top answers of all categories.
    cold, _ = queries_of(client, "/help/")
    assert cold == 3
    warm, _ = queries_of(client, "/help/")
    assert warm == 0

    help_centre(articles_per_category=30, categories=6)
    services._cache_version_bump()
    assert queries_of(client, "/help/")[0] == cold


def test_a_published_change_is_visible_at_once(client, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Old title", body="Text")
    assert "Old title" in client.get("/help/").content.decode()

    # The cache moves on when the change commits, so no request can cache the old text after it.
    with django_capture_on_commit_callbacks(execute=True):
        services.article_save(article=article, data={"title": "New title"}, editor=None)

    assert "New title" in client.get("/help/").content.decode()
    assert (
        "New title"
        in client.get(article.get_absolute_url().replace("old-title", "new-title")).content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.article_status_set(article=article, status=Article.Status.DRAFT, editor=None)

    assert "New title" not in client.get("/help/").content.decode()
    assert client.get(f"/help/articles/{article.pk}-new-title/").status_code == 404


# --- An article -------------------------------------------------------------------------------------


def test_an_article_shows_its_body_related_answers_and_the_way_to_a_person(client):
    category = CategoryFactory(name="Delivery")
    article = ArticleFactory(
        title="Where is my parcel?",
        summary="Follow it with your tracking link.",
        body="## Tracking\n\n| Carrier | Days |\n|---|---|\n| DHL | 2 |\n",
        category=category,
    )
    ArticleFactory(title="Delivery times", category=category)

    response = client.get(article.get_absolute_url())

    html = response.content.decode()
    assert "<td>DHL</td>" in html
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{article.get_absolute_url()}">' in html
    assert "Related answers" in html and "Delivery times" in html
    assert 'href="/contact/?q=Where%20is%20my%20parcel%3F"' in html
    assert response.cookies[VISITOR_COOKIE].value
    article.refresh_from_db()
    assert article.views_count == 1


def test_an_old_slug_redirects_to_the_current_address_and_drafts_are_not_found(client):
    article = ArticleFactory(title="Current title")
    draft = ArticleFactory(title="Draft", status=Article.Status.DRAFT)

    response = client.get(f"/help/articles/{article.pk}-some-old-title/")

    assert response.status_code == 301
    assert response["Location"] == f"/help/articles/{article.pk}-current-title/"
    assert client.get(f"/help/articles/{draft.pk}-draft/").status_code == 404
    assert client.get("/help/articles/999999-nothing/").status_code == 404


def test_an_article_page_costs_the_same_queries_whatever_the_size_of_the_help_centre(client):
    articles = help_centre(articles_per_category=2)
    url = articles[0].get_absolute_url()
    # Cold: 1 the article with its category, 2 the related answers, 3 the view counter.
    assert queries_of(client, url)[0] == 3
    # Cached: only the view counter.
    assert queries_of(client, url)[0] == 1
    # From a search: the view counter and the search's click.
    assert queries_of(client, f"{url}?s=123")[0] == 2

    help_centre(articles_per_category=25)
    other = Article.objects.filter(category=articles[0].category).exclude(pk=articles[0].pk).first()
    assert queries_of(client, other.get_absolute_url())[0] == 3


def test_markdown_renders_inert_whatever_an_editor_pastes(client):
    article = ArticleFactory(
        title="Hostile",
        body=(
            "Hello <script>alert('x')</script>\n\n"
            '<img src="x.png" onerror="alert(1)"> <a href="#" onclick="steal()">click</a>\n\n'
            "[js](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) "
            '<a href="JaVaScRiPt:alert(1)">mixed case</a> [entity](javascript&#58;alert(1))\n\n'
            '<iframe src="https://evil.example"></iframe><svg onload="alert(1)"></svg>'
            '<style>body{display:none}</style><form action="https://evil.example"><input name=x></form>\n\n'
            "[fine](https://shop.example/faq) and **bold**"
        ),
    )

    html = article.body_html
    lowered = html.lower()
    for forbidden in (
        "<script",
        "onerror",
        "onclick",
        "onload",
        "javascript:",
        "data:",
        "<iframe",
        "<svg",
        "<style",
        "<form",
        "<input",
    ):
        assert forbidden not in lowered, forbidden
    assert '<a href="https://shop.example/faq" rel="noopener noreferrer">fine</a>' in html
    assert "<strong>bold</strong>" in html
    page = client.get(article.get_absolute_url()).content.decode().lower()
    shown = page.split('<div class="kb-body">')[1].split("</article>")[0]
    assert "<script" not in shown and "onerror" not in shown and "javascript:" not in shown


# --- Search page ------------------------------------------------------------------------------------


def test_the_search_page_ranks_logs_and_offers_a_person(client):
    ArticleFactory(title="How refunds work", body="Refund to your card.")

    response = client.get("/help/search/", {"q": "refnud"})

    html = response.content.decode()
    assert "Showing results for <strong>refund</strong>" in html
    assert "How refunds work" in html
    search = SearchQuery.objects.get()
    assert f"?s={search.pk}" in html
    assert 'href="/contact/?q=refnud"' in html
    assert search.visitor == response.cookies[VISITOR_COOKIE].value


def test_a_search_page_with_no_answer_says_so_and_keeps_the_question_for_the_contact_form(client):
    html = client.get("/help/search/", {"q": "bitcoin payment"}).content.decode()

    assert "We found no answer to that yet" in html
    assert 'href="/contact/?q=bitcoin%20payment"' in html


def test_search_page_queries_do_not_grow_with_the_articles(client):
    help_centre(articles_per_category=3)
    # 1 known words, 2 the page's ids by rank with the count, 3 those articles with their categories,
    # 4 the log row.
    few, _ = queries_of(client, "/help/search/?q=parcels")
    assert few == 4
    help_centre(articles_per_category=30)
    assert queries_of(client, "/help/search/?q=parcels")[0] == few
    assert queries_of(client, "/help/search/?q=parcels&page=2")[0] == few
    assert queries_of(client, "/help/search/?q=")[0] == 0
    assert queries_of(client, "/help/search/?page=x&q=parcels")[0] == few


# --- Votes and deflection ---------------------------------------------------------------------------


def test_a_vote_counts_once_per_visitor_and_a_change_of_mind_moves_it(client):
    article = ArticleFactory(title="Voting")
    url = f"/help/articles/{article.pk}/vote/"

    client.post(url, {"helpful": "no", "comment": "Did not say how long"})
    client.post(url, {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (0, 1)

    response = client.post(url, {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    assert "Glad it helped" in response.content.decode()
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)
    vote = Vote.objects.get()
    assert (vote.helpful, vote.comment) == (True, "Did not say how long")


def test_a_bad_vote_is_a_clear_4xx(client):
    article = ArticleFactory(title="Voting")
    draft = ArticleFactory(title="Draft", status=Article.Status.DRAFT)

    assert client.post(f"/help/articles/{article.pk}/vote/", {"helpful": "maybe"}).status_code == 400
    assert client.post(f"/help/articles/{draft.pk}/vote/", {"helpful": "yes"}).status_code == 404
    assert client.get(f"/help/articles/{article.pk}/vote/").status_code == 405
    assert Vote.objects.count() == 0


def test_a_search_that_led_to_an_answer_and_no_ticket_is_a_deflection_a_day_later(client):
    answer = ArticleFactory(title="How refunds work", body="Refund to your card.")
    now = clock.now()
    # Given one visitor who searched and read the answer, and another who did the same, then wrote in
    for escalate in (False, True):
        visitor_client = client.__class__()
        visitor_client.get("/help/search/", {"q": "refund"})
        search = SearchQuery.objects.latest("pk")
        visitor_client.get(f"{answer.get_absolute_url()}?s={search.pk}")
        if escalate:
            services.searches_escalate(visitor=search.visitor, now=clock.now())
    assert SearchQuery.objects.filter(clicked_article=answer).count() == 2

    # When the deflection job runs within the day, nothing is settled yet
    assert services.deflections_settle(now=now + timedelta(hours=1)) == "no searches to settle"
    # And a day later one deflection is counted, once
    line = services.deflections_settle(now=now + timedelta(hours=25))
    assert line == "2 searches settled, 1 deflections counted"
    services.deflections_settle(now=now + timedelta(hours=50))
    answer.refresh_from_db()
    assert answer.deflections_count == 1


def test_a_click_is_recorded_only_for_the_visitors_own_search(client):
    answer = ArticleFactory(title="How refunds work")
    client.get("/help/search/", {"q": "refund"})
    search = SearchQuery.objects.get()

    # Someone else's browser opening the link with that search id changes nothing
    client.__class__().get(f"{answer.get_absolute_url()}?s={search.pk}")
    search.refresh_from_db()
    assert search.clicked_article is None


# --- Sitemap ----------------------------------------------------------------------------------------


def test_the_sitemap_lists_published_articles_and_categories_only(client):
    article = ArticleFactory(title="Listed")
    draft = ArticleFactory(title="Hidden", status=Article.Status.DRAFT)

    xml = client.get("/sitemap.xml").content.decode()

    assert f"/help/articles/{article.pk}-listed/" in xml
    assert f"/help/articles/{draft.pk}-" not in xml
    assert "/help/categories/general/" in xml
    assert "<loc>http" in xml
