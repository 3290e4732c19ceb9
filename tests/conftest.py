import pytest
from rest_framework.test import APIClient

from tests.factories import TokenFactory

pytest_plugins = ["tests.celery_worker", "tests.browser"]


@pytest.fixture
def integration_token(db):
    return TokenFactory()


@pytest.fixture
def api(integration_token):
    """An API client authenticated as the store's integration user."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {integration_token.key}")
    return client
