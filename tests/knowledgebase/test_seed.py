"""The demo help centre: realistic articles and the four policy pages, saved as editors save them."""

from datetime import UTC, datetime

import pytest

from carecrm import demo
from knowledgebase import demo as kb_demo
from knowledgebase.models import Article, ArticleRevision, Category, SearchQuery
from knowledgebase.search import articles_search
from tests.factories import no_progress

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def seed() -> str:
    return kb_demo.articles_seed(options=demo.Options(seed=1), progress=no_progress, now=NOW)


def test_the_demo_help_centre_has_its_policies_categories_and_drafts_and_answers_searches(client):
    said = seed()

    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    assert said == f"{Article.objects.count()} articles in {Category.objects.count()} categories"
    assert published.count() >= 20
    assert set(published.exclude(policy="").values_list("policy", flat=True)) == {
        "shipping",
        "returns",
        "price_protection",
        "trial",
    }
    assert Article.objects.filter(status=Article.Status.DRAFT).exists()
    assert ArticleRevision.objects.count() == Article.objects.count()
    assert published.filter(views_count__gt=0).exists()
    # Every body rendered: tables and lists, no raw Markdown left.
    assert all(article.body_html.startswith("<") for article in published)
    assert published.filter(body_html__contains="<table>").count() >= 3

    for question, expected in [
        ("where is my parcel", "Where is my parcel?"),
        ("charged twice", "I was charged twice"),
        ("refnd", "When will I get my refund?"),
        ("skillet rust", "Seasoning and caring for the cast-iron skillet"),
    ]:
        titles = [a.title for a in articles_search(query=question, source=SearchQuery.Source.HELP).articles]
        assert expected in titles[:3], (question, titles)

    html = client.get("/help/").content.decode()
    assert html.index("Shipping policy") < html.index("Orders and delivery</a>")


def test_a_second_run_adds_nothing():
    seed()
    count = Article.objects.count()

    assert seed() == "knowledge base already has articles"
    assert Article.objects.count() == count
