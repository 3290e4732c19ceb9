"""Tests: the same settings against DATABASE_URL / REDIS_URL when set, embedded defaults otherwise."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, STORAGES

# The fault tests give their worker processes a backend that journals to disk.
EMAIL_BACKEND = env.str("CARECRM_TEST_EMAIL_BACKEND", default="anymail.backends.test.EmailBackend")  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests that are about throttling set their own rates.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute"},
}
# Tests do not run collectstatic; the manifest storage would refuse every {% static %} without it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# The live server behind the customer pages' browser tests speaks no WebSocket; the chat's own browser test
# puts the widget on a shop page with a chat server beside it.
CARECRM = {**CARECRM, "CHAT_ON_CUSTOMER_PAGES": False}  # noqa: F405
