"""Production: the same settings, with the secrets required and every transport secured.

`DJANGO_SETTINGS_MODULE=carecrm.settings.production python manage.py check --deploy` passes with
SECRET_KEY, ALLOWED_HOSTS, CARECRM_SITE_URL, DATABASE_URL and REDIS_URL set.
"""

from .base import *  # noqa: F403
from .base import CARECRM, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# Links in the emails customers get (order tracking, opt-out) must point at the public address.
CARECRM = {**CARECRM, "SITE_URL": env.str("CARECRM_SITE_URL")}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# /healthz is probed over plain HTTP from inside the network by the orchestrator.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The __Host- prefix makes browsers refuse these cookies unless set over HTTPS, for this host only and
# for every path (OWASP ASVS 5.0, 3.3.1): no subdomain or plain-HTTP page can plant or read them.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
