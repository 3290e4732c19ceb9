"""Staff sign-in: attempts are counted per username and per client address, and past the limit the
answer is 429 without the password being checked."""

import pytest

from carecrm.views import LOGIN_LIMIT_PER_USERNAME
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def test_guessing_one_accounts_password_is_stopped_even_with_the_right_one(client):
    UserFactory(username="mina", role="manager", password=PASSWORD)

    guesses = [
        client.post("/accounts/login/", {"username": "mina", "password": f"guess{n}"}).status_code
        for n in range(LOGIN_LIMIT_PER_USERNAME)
    ]
    blocked = client.post("/accounts/login/", {"username": "Mina", "password": PASSWORD})

    assert guesses == [200] * LOGIN_LIMIT_PER_USERNAME  # the form again, with its error
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session


def test_other_accounts_still_sign_in_while_one_is_throttled(client):
    UserFactory(username="alex", role="agent", password=PASSWORD)
    for n in range(LOGIN_LIMIT_PER_USERNAME + 1):
        client.post("/accounts/login/", {"username": "mina", "password": f"guess{n}"})

    response = client.post("/accounts/login/", {"username": "alex", "password": PASSWORD})

    assert response.status_code == 302
