import uuid

import pytest
from django.core import mail
from rest_framework.test import APIClient

from carecrm.celery import app as celery_app
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


@pytest.fixture(autouse=True)
def cache_of_its_own(settings):
    """Each test caches under a prefix of its own: pages cached by one test (whose rows were rolled back)
    and rate-limit counts never leak into another, nor between runs sharing one Redis."""
    settings.CACHES = {
        alias: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }


@pytest.fixture
def worker_in_process():
    """Tasks queued on commit run right there, as a worker would run them."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture(autouse=True)
def media_of_its_own(settings, tmp_path_factory):
    """Files a test stores (ticket attachments) go to a directory of its own, never the checkout."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def shop_mail(settings):
    """Outgoing mail caught by anymail's test backend (which gives each message its `anymail_status`,
    as an ESP would; Django's test setup would swap in locmem), with links on the shop's public address."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.CARECRM = {**settings.CARECRM, "SITE_URL": "https://care.shop.example"}
    mail.outbox = []
