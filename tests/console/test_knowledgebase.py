"""The knowledge base in the console: editors write and publish, everyone on staff reads, and the
knowledge gaps show what customers asked that no article answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledgebase.models import Article, ArticleRevision, SearchQuery
from knowledgebase.search import articles_search
from knowledgebase.services import vote_record
from tests.factories import UserFactory
from tests.knowledgebase.factories import ArticleFactory, CategoryFactory
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db


def article_form(category, **fields):
    return {
        "title": "Gift cards",
        "summary": "Buy and redeem them.",
        "body": "## Buying\n\nAny amount from 10 EUR.",
        "kind": "faq",
        "category": category.pk,
        "policy": "",
        "tags": "gifts, vouchers",
        "related_skus": "",
        "related_categories": "",
        **fields,
    }


def test_a_manager_writes_a_draft_then_publishes_it_and_the_help_centre_shows_it(
    client, django_capture_on_commit_callbacks
):
    manager = UserFactory(role="manager")
    client.force_login(manager)
    category = CategoryFactory(name="Payments")

    response = client.post("/console/kb/new/", article_form(category))

    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/kb/{article.pk}/"
    assert (article.status, article.tags, article.author) == ("draft", ["gifts", "vouchers"], manager)
    assert client.get(article.get_absolute_url()).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/console/kb/{article.pk}/",
            article_form(category, title="Gift cards and vouchers") | {"action": "publish"},
        )

    article.refresh_from_db()
    assert (article.status, article.title, article.slug) == (
        "published",
        "Gift cards and vouchers",
        "gift-cards-and-vouchers",
    )
    assert "Gift cards and vouchers" in client.get("/help/").content.decode()
    assert list(article.revisions.values_list("number", "status")) == [(2, "published"), (1, "draft")]
    page = client.get(f"/console/kb/{article.pk}/").content.decode()
    assert '<h2 id="buying">Buying</h2>' in page
    assert "Unpublish" in page


def test_a_second_published_page_for_one_policy_is_refused_on_the_form(client):
    client.force_login(UserFactory(role="manager"))
    existing = ArticleFactory(title="Returns", policy=Article.Policy.RETURNS)

    response = client.post(
        "/console/kb/new/", article_form(existing.category, policy="returns") | {"action": "publish"}
    )

    assert response.status_code == 200
    assert "is already the published Returns page" in response.content.decode()
    assert Article.objects.count() == 1


def test_an_agent_reads_articles_but_cannot_change_them(client):
    client.force_login(UserFactory(role="agent"))
    article = ArticleFactory(title="Read only")

    assert "Your role can read articles" in client.get(f"/console/kb/{article.pk}/").content.decode()
    response = client.post(f"/console/kb/{article.pk}/", article_form(article.category, title="Changed"))

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.title == "Read only"
    assert ArticleRevision.objects.count() == 1


def test_the_integration_user_and_strangers_are_kept_out(client):
    assert client.get("/console/kb/").status_code == 302
    client.force_login(UserFactory(role="integration"))
    assert client.get("/console/kb/").status_code == 403
    assert client.get("/console/kb/gaps/").status_code == 403


def test_the_article_list_filters_and_costs_the_same_queries_for_many_articles(client):
    client.force_login(UserFactory(role="agent"))
    ArticleFactory.create_batch(3)
    ArticleFactory(title="Unique draft", status=Article.Status.DRAFT)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), response.content.decode()

    few, _ = queries("/console/kb/")
    ArticleFactory.create_batch(60)
    many, html = queries("/console/kb/")
    assert many == few
    assert "Page 1 of 2" in html
    _, drafts = queries("/console/kb/?status=draft")
    assert "Unique draft" in drafts and "Answer number" not in drafts


def test_knowledge_gaps_gather_what_went_unanswered(client):
    client.force_login(UserFactory(role="manager"))
    answer = ArticleFactory(title="Delivery times", body="Two to four days.")
    for _ in range(3):
        articles_search(query="Klarna instalments", source=SearchQuery.Source.HELP, visitor="a" * 32)
    articles_search(query="delivery", source=SearchQuery.Source.HELP, visitor="b" * 32)
    SearchQuery.objects.filter(normalized="delivery").update(escalated=True)
    ticket_open(channel="web", email="c@mail.example", subject="Crypto payment", body="Can I pay in BTC?")
    vote_record(article=answer, visitor="d" * 32, helpful=False, comment="Which countries?")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/console/kb/gaps/")
        return len(ctx.captured_queries), response.content.decode()

    count, html = queries()
    zero = html[html.index("Searches with no result") : html.index("Searched, then wrote")]
    assert "klarna instalments" in zero and "<td>3</td>" in zero
    escalated = html[html.index("Searched, then wrote") : html.index("Ticket subjects")]
    assert "delivery" in escalated
    subjects = html[html.index("Ticket subjects") : html.index("Articles voted unhelpful")]
    assert "crypto payment" in subjects
    assert "Which countries?" in html

    for number in range(10):
        articles_search(query=f"gap {number}", source=SearchQuery.Source.HELP)
        bad = ArticleFactory(title=f"Weak {number}")
        vote_record(article=bad, visitor=f"{number:032d}", helpful=False, comment="No")
    assert queries()[0] == count


def test_the_admin_saves_articles_through_the_service(admin_client):
    category = CategoryFactory(name="Payments")

    response = admin_client.post(
        "/admin/knowledgebase/article/add/",
        {
            "title": "Paying by invoice",
            "summary": "",
            "body": "Pay within **14 days**.",
            "kind": "faq",
            "policy": "",
            "status": "published",
            "category": category.pk,
            "tags": '["invoice"]',
            "related_skus": "[]",
            "related_categories": "[]",
            "revisions-TOTAL_FORMS": "0",
            "revisions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert article.body_html == "<p>Pay within <strong>14 days</strong>.</p>"
    assert article.revisions.count() == 1
    assert [a.title for a in articles_search(query="invoice", source=SearchQuery.Source.HELP).articles] == [
        "Paying by invoice"
    ]
