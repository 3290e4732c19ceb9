"""GET /api/v1/kb/articles/: the published help centre, best match first, paginated like every list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from knowledgebase.models import Article, SearchQuery
from tests.knowledgebase.factories import ArticleFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/kb/articles/"


def test_search_answers_best_match_first_with_the_contract_page_shape(api):
    ArticleFactory(title="Delivery times", body="How long a refund takes is elsewhere.")
    ArticleFactory(title="How refunds work", body="Refund to your card.")
    ArticleFactory(title="Refund draft", status=Article.Status.DRAFT)

    response = api.get(URL, {"q": "refund"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [a["title"] for a in body["results"]] == ["How refunds work", "Delivery times"]
    first = body["results"][0]
    assert first["url"].endswith(f"/help/articles/{first['id']}-how-refunds-work/")
    assert first["body_html"] == "<p>Refund to your card.</p>"
    assert SearchQuery.objects.get().source == SearchQuery.Source.API


def test_pages_link_to_each_other():
    for number in range(5):
        ArticleFactory(title=f"Voucher {number}")
    client = APIClient()

    first = client.get(URL, {"q": "voucher", "page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert first["previous"] is None
    assert second["previous"] is not None and "page=" not in second["previous"]
    assert third["next"] is None
    titles = [a["title"] for page in (first, second, third) for a in page["results"]]
    assert sorted(titles) == [f"Voucher {n}" for n in range(5)]


def test_without_a_query_the_most_useful_come_first_and_no_token_is_needed():
    ArticleFactory(title="Rarely read")
    popular = ArticleFactory(title="Often read")
    Article.objects.filter(pk=popular.pk).update(helpful_count=50, views_count=900)

    response = APIClient().get(URL)

    assert response.status_code == 200
    assert [a["title"] for a in response.json()["results"]] == ["Often read", "Rarely read"]


def test_a_draft_is_not_found_and_writes_are_refused():
    draft = ArticleFactory(title="Draft", status=Article.Status.DRAFT)
    client = APIClient()

    assert client.get(f"{URL}{draft.pk}/").status_code == 404
    assert client.post(URL, {"title": "x"}, format="json").status_code == 405


@pytest.mark.parametrize(
    "query", ["'; DROP TABLE x; --", "a" * 5000, "\u0000", "🚚 & | ! :*", "NEAR(", "page"]
)
def test_hostile_queries_are_answered_not_crashed(query):
    ArticleFactory(title="How refunds work")

    response = APIClient().get(URL, {"q": query, "page": "999999999999"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_query_count_does_not_grow_with_the_articles():
    client = APIClient()
    for number in range(3):
        ArticleFactory(title=f"Parcel {number}")

    def count(params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, params).status_code == 200
        return len(ctx.captured_queries)

    # Search: known words, the page's ids by rank with the count, those articles, the log row.
    few_search = count({"q": "parcel"})
    assert few_search == 4
    # Browse: count, the page with categories.
    few_browse = count({})
    assert few_browse == 2
    for number in range(3, 40):
        ArticleFactory(title=f"Parcel {number}")
    assert count({"q": "parcel"}) == few_search
    assert count({}) == few_browse
