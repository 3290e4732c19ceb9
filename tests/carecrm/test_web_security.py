"""Web defences beyond the permission matrix: every form that changes something refuses a request
without its CSRF token (for every POST route of the URL conf a person's browser can reach), session
cookies are out of scripts' reach and short-lived, and staff passwords must be strong."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.carecrm.test_permission_matrix import RULES, _sign_in, world  # noqa: F401 (fixture)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
# Who a browser POSTs as, per kind of route; the API's token calls and the ESPs' webhooks carry no
# cookies, so a forged cross-site request has nothing to ride on there.
BROWSER_ACTOR = {
    "public": "anonymous",
    "customer": "customer",
    "staff": "admin",
    "admin": "admin",
    "api": "admin",
}


def browser_posts():
    return sorted(
        name for name, rule in RULES.items() if rule.method == "post" and rule.kind in BROWSER_ACTOR
    )


@pytest.mark.parametrize("name", browser_posts())
def test_a_post_without_its_csrf_token_is_refused(name, world):  # noqa: F811
    rule = RULES[name]
    browser = Client(enforce_csrf_checks=True)
    headers = _sign_in(browser, BROWSER_ACTOR[rule.kind], world)

    response = browser.post(rule.path.format(**world), rule.data, **headers)

    assert response.status_code == 403, f"{name}: {response.status_code}"


def test_there_are_browser_posts_to_check():
    assert len(browser_posts()) >= 20


def test_the_session_cookie_is_for_the_server_only_and_lasts_a_working_day(client):
    UserFactory(username="mina", role="manager", password="correct horse battery staple")

    response = client.post(
        "/accounts/login/", {"username": "mina", "password": "correct horse battery staple"}
    )

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 12 * 60 * 60


@pytest.mark.parametrize(
    "password", ["Short1!x", "password1234", "12345678901234", "mina.lindqvist", "qwertyuiop123"]
)
def test_weak_staff_passwords_are_refused(password):
    user = UserFactory.build(username="mina.lindqvist", email="mina@shop.example")

    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_passphrase_is_accepted():
    user = UserFactory.build(username="mina.lindqvist", email="mina@shop.example")

    validate_password("teapot lantern orbit velvet", user)
