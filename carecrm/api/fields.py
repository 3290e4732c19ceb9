from datetime import date, datetime

from django.utils import timezone
from rest_framework import serializers

# Far enough for any real shop's history and plans; beyond, dates stop being arithmetic-safe (a window
# of 30 days added to year 9999 overflows).
EARLIEST_YEAR = 1970
LATEST_YEARS_AHEAD = 10


def years_accepted() -> tuple[int, int]:
    return EARLIEST_YEAR, timezone.now().year + LATEST_YEARS_AHEAD


def _check_year(value: date) -> None:
    earliest, latest = years_accepted()
    if not earliest <= value.year <= latest:
        raise serializers.ValidationError(f"Dates run from {earliest} to {latest}.")


class MomentField(serializers.DateTimeField):
    """A moment a store reports (placed, paid, shipped, …), within the years a shop can mean."""

    def to_internal_value(self, value) -> datetime:
        moment = super().to_internal_value(value)
        _check_year(moment)
        return moment


class DayField(serializers.DateField):
    def to_internal_value(self, value) -> date:
        day = super().to_internal_value(value)
        _check_year(day)
        return day
