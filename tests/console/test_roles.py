"""Every console page against every role: it renders for the roles whose work it is, answers 403 to the
other staff roles and to the integration account, and sends visitors to the sign-in page."""

import pytest

from campaigns.playbook import playbook_install
from knowledgebase.models import Article
from tests.factories import CustomerFactory, UserFactory
from tests.knowledgebase.factories import ArticleFactory
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db
STAFF = {"agent", "marketer", "manager", "admin"}
TICKETS = {"agent", "manager", "admin"}
CAMPAIGNS = {"marketer", "manager", "admin"}
MANAGERS = {"manager", "admin"}


@pytest.fixture
def pages():
    playbook_install()
    customer = CustomerFactory(email="ada@mail.example")
    ticket = ticket_open(channel="web", email="ada@mail.example", subject="Hi", body="Hello").ticket
    article = ArticleFactory(status=Article.Status.PUBLISHED)
    from campaigns.models import Campaign

    campaign = Campaign.objects.get(slug="welcome")
    step = campaign.steps.get()
    return {
        "/console/": STAFF,
        "/console/alerts/": STAFF,
        "/console/search/?q=nobody": STAFF,
        f"/console/customers/{customer.pk}/": STAFF,
        f"/console/customers/{customer.pk}/export/": {"agent", "manager", "admin"},
        "/console/inbox/": TICKETS,
        f"/console/tickets/{ticket.pk}/": TICKETS,
        "/console/tickets/new/": TICKETS,
        "/console/kb/": STAFF,
        f"/console/kb/{article.pk}/": STAFF,
        "/console/kb/gaps/": STAFF,
        "/console/campaigns/": CAMPAIGNS,
        "/console/campaigns/new/": CAMPAIGNS,
        f"/console/campaigns/{campaign.pk}/": CAMPAIGNS,
        f"/console/campaigns/{campaign.pk}/steps/{step.pk}/": CAMPAIGNS,
        "/console/dashboards/": MANAGERS,
        "/console/dashboards/after-sales/": MANAGERS,
        "/console/dashboards/lifecycle/": MANAGERS,
        "/console/dashboards/campaigns/": CAMPAIGNS,
        "/console/reports/weekly/": MANAGERS,
    }


@pytest.mark.parametrize("role", ["agent", "marketer", "manager", "admin", "integration"])
def test_each_page_renders_for_its_roles_and_is_refused_to_the_others(client, pages, role):
    client.force_login(UserFactory(role=role))

    answers = {url: client.get(url).status_code for url in pages}

    expected = {url: 200 if role in roles else 403 for url, roles in pages.items()}
    assert answers == expected


def test_visitors_are_sent_to_sign_in(client, pages):
    answers = {url: client.get(url) for url in pages}

    assert {url: r.status_code for url, r in answers.items()} == dict.fromkeys(pages, 302)
    assert all(r["Location"].startswith("/accounts/login/") for r in answers.values())
