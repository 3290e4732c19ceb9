import os
import uuid

import pytest
from django.core import mail
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.test import APIClient

from carecrm.celery import app as celery_app
from tests.factories import TokenFactory

pytest_plugins = ["tests.celery_worker", "tests.browser"]

# Property tests (hypothesis) try the same examples on every run, so a failure in CI is the same failure on
# a laptop; a shared machine and a database make timings noisy, so no example has a deadline; and nothing
# is written to an example database in the checkout. The suite's autouse fixtures (a cache prefix and a
# media directory of the test's own) are function-scoped and safe to share among a test's examples;
# database writes are undone per example by tests.properties.rolled_back. HYPOTHESIS_PROFILE=thorough
# searches wider with fresh examples each run, for a night's run or before changing a parser.
hypothesis_settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile(
    "thorough",
    parent=hypothesis_settings.get_profile("ci"),
    derandomize=False,
    max_examples=1000,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
