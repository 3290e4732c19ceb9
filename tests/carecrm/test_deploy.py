"""Production settings: Django's deployment checklist passes, and missing secrets stop the start."""

import importlib
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PRODUCTION = "carecrm.settings.production"


def _production_env(tmp_path) -> dict[str, str]:
    """What an operator sets: a long random key, the shop's host name, the database and the broker."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DJANGO_SETTINGS_MODULE=PRODUCTION,
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="crm.shop.example",
        CARECRM_SITE_URL="https://crm.shop.example",
        DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{tmp_path / 'carecrm.sqlite3'}"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
        # The check must not create anything under the checkout's var/.
        CARECRM_VAR_DIR=str(tmp_path / "var"),
    )
    env.pop("SECURE_SSL_REDIRECT", None)
    return env


def test_deployment_checklist_passes_without_a_single_warning(tmp_path):
    # given the production settings with realistic values
    env = _production_env(tmp_path)
    # when Django's deployment checks run, failing on warnings as well as errors
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then they find nothing to complain about
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "security." not in output, output


@pytest.mark.parametrize("required", ["SECRET_KEY", "ALLOWED_HOSTS", "CARECRM_SITE_URL"])
def test_production_settings_refuse_to_load_without_their_secrets(monkeypatch, required):
    # given an environment that sets everything else production needs
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(64))
    monkeypatch.setenv("ALLOWED_HOSTS", "crm.shop.example")
    monkeypatch.setenv("CARECRM_SITE_URL", "https://crm.shop.example")
    # ... but not this one (base settings have a local default; production must not fall back to it)
    monkeypatch.delenv(required)
    monkeypatch.delitem(sys.modules, PRODUCTION, raising=False)
    # when the production settings are loaded, then they stop with the variable's name
    with pytest.raises(ImproperlyConfigured, match=required):
        importlib.import_module(PRODUCTION)


def test_production_cookies_carry_the_host_prefix(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(64))
    monkeypatch.setenv("ALLOWED_HOSTS", "crm.shop.example")
    monkeypatch.setenv("CARECRM_SITE_URL", "https://crm.shop.example")
    monkeypatch.delitem(sys.modules, PRODUCTION, raising=False)

    production = importlib.import_module(PRODUCTION)

    # what browsers demand of a __Host- cookie: secure, no domain, path /
    for name, secure in (("SESSION", True), ("CSRF", True)):
        assert getattr(production, f"{name}_COOKIE_NAME").startswith("__Host-")
        assert getattr(production, f"{name}_COOKIE_SECURE") is secure
        assert getattr(production, f"{name}_COOKIE_DOMAIN", None) is None
        assert getattr(production, f"{name}_COOKIE_PATH", "/") == "/"
