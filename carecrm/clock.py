"""The one clock. Everything time-driven reads `now()` here and takes an explicit `now` parameter,
so a test or an operator (`manage.py tick --now`) can replay any moment."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def parse(value: str) -> datetime:
    """An ISO-8601 moment; a value without an offset is taken in the project's time zone."""
    parsed = datetime.fromisoformat(value)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
