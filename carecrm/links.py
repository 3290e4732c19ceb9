"""Absolute links to the customer pages, for emails and canonical URLs: built on CARECRM["SITE_URL"],
never on the request that happens to be running (a task has none, and a Host header is the client's)."""

from django.conf import settings


def site_url(path: str) -> str:
    return settings.CARECRM["SITE_URL"].rstrip("/") + path
