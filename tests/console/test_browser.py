"""The console in a real browser: Debian's Chromium driven by Playwright against pytest-django's live
server (tests/browser.py). CI installs /usr/bin/chromium; without it these tests are skipped, never
reported as passing."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from carecrm import demo
from customers.models import Customer
from tests.browser import needs_chromium

pytestmark = [needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_data(live_server):
    call_command("seed_demo", customers=5, stdout=StringIO(), stderr=StringIO())


def sign_in(page, live_server, *, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_an_agent_signs_in_and_sees_a_customer_the_store_just_registered(page, live_server, demo_data):
    token = Token.objects.get(user__username="integration").key
    answer = page.request.post(
        f"{live_server.url}/api/v1/customers/",
        headers={"Authorization": f"Token {token}"},
        data={
            "external_id": "shop-4711",
            "email": "greta.lind@example.com",
            "first_name": "Greta",
            "last_name": "Lind",
            "acquisition_channel": "instagram",
            "country": "SE",
        },
    )
    assert answer.status == 201, answer.text()

    sign_in(page, live_server, username="agent", password=demo.DEMO_PASSWORD)

    assert page.url == f"{live_server.url}/console/inbox/"  # an agent's own work first
    page.get_by_role("link", name="Console").click()
    page.wait_for_load_state()
    # The demo customers who bought have moved on from prospect; Greta has not bought yet.
    stages = Counter(Customer.objects.values_list("lifecycle_stage", flat=True))
    assert stages["prospect"] >= 1
    assert page.locator(".stage-prospect .count").inner_text() == str(stages["prospect"])
    assert page.locator(".stage-new .count").inner_text() == str(stages["new"])
    journey = page.locator("table.list tbody tr")
    newest = journey.first
    assert "Greta Lind" in newest.inner_text()
    assert "registered" in newest.inner_text()
    assert journey.count() > 5
    assert page.get_by_role("button", name="Sign out agent").is_visible()


def test_a_wrong_password_is_refused_with_an_error(page, live_server, demo_data):
    sign_in(page, live_server, username="agent", password="not-the-password")

    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert "didn't match" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("button", name="Sign out agent").count() == 0


def test_an_anonymous_visitor_is_sent_from_the_console_to_sign_in(page, live_server):
    page.goto(f"{live_server.url}/console/")

    assert page.url == f"{live_server.url}/accounts/login/?next=/console/"
    assert page.get_by_role("heading", name="Sign in").is_visible()
