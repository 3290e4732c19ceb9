"""/healthz: what the orchestrator probes. 200 when the database and the broker answer, 503 naming the one
that does not."""

import importlib
import secrets
import socket
import sys
from contextlib import contextmanager

import pytest

from carecrm.celery import app as celery_app

pytestmark = pytest.mark.django_db

URL = "/healthz"


def _reset_broker_pools():
    # The app caches its broker connection pool and producer pool (`app.pool`, `app.amqp.producer_pool`)
    # on first use; dropping them makes the next use connect to whatever broker the configuration names.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _broker_unreachable():
    """The Celery app pointed at a Redis port nobody listens on; the real broker again afterwards."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    _reset_broker_pools()
    conf.broker_url = f"redis://127.0.0.1:{_unused_port()}/0"
    conf.broker_transport_options = {"socket_connect_timeout": 1}
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options = saved
        _reset_broker_pools()


def test_healthz_reports_database_and_broker_ok(client):
    # given the database and the broker of this test run, both up
    # when the orchestrator probes
    response = client.get(URL)
    # then both are reported healthy
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_naming_the_broker_when_it_is_unreachable(client):
    # given a broker that refuses connections
    with _broker_unreachable():
        # when the orchestrator probes
        response = client.get(URL)
    # then the answer is 503, and it names the broker, not the database
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


def test_healthz_recovers_when_the_broker_comes_back(client):
    # given a probe that found the broker down
    with _broker_unreachable():
        assert client.get(URL).status_code == 503
    # when the broker answers again, then so does the next probe: nothing of the failure is kept
    response = client.get(URL)
    assert response.status_code == 200, response.content
    assert response.json()["broker"] == "ok"


def test_healthz_is_served_over_plain_http_while_production_redirects_everything_else(
    client, settings, monkeypatch
):
    # given production's HTTPS redirect (its settings need their secrets to load)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(64))
    monkeypatch.setenv("ALLOWED_HOSTS", "crm.shop.example")
    monkeypatch.setenv("CARECRM_SITE_URL", "https://crm.shop.example")
    monkeypatch.delenv("SECURE_SSL_REDIRECT", raising=False)
    monkeypatch.delitem(sys.modules, "carecrm.settings.production", raising=False)
    production = importlib.import_module("carecrm.settings.production")
    settings.SECURE_SSL_REDIRECT = production.SECURE_SSL_REDIRECT
    settings.SECURE_REDIRECT_EXEMPT = production.SECURE_REDIRECT_EXEMPT
    assert settings.SECURE_SSL_REDIRECT is True
    # when a page and the health check are requested over plain HTTP from inside the network
    page = client.get("/accounts/login/")
    health = client.get(URL)
    # then the page is sent to HTTPS and the health check is answered
    assert page.status_code == 301
    assert page["Location"].startswith("https://")
    assert health.status_code == 200
