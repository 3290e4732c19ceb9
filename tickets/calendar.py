"""Business time: adding working minutes to a moment and counting the working minutes between two, on a
calendar of weekly opening hours in its own time zone, closed on its holidays.

Pure functions over plain data (`Hours`), so the SLA rules can be tested across weekends, holidays,
time zones and daylight-saving changes without a database; `hours_of(calendar)` reads a
BusinessCalendar row into that shape.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Long enough for any real target (a year of a 24/7 calendar); a calendar with no opening hours at all
# would otherwise search forever.
MAX_DAYS = 800


@dataclass(frozen=True)
class Hours:
    time_zone: str
    # Monday=0 .. Sunday=6 -> [(opens, closes)], each within one day.
    weekly: dict[int, list[tuple[time, time]]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening spans as aware datetimes (in the calendar's zone)."""
        if day in self.holidays:
            return []
        zone = self.zone
        return [
            (datetime.combine(day, opens, zone), datetime.combine(day, closes, zone))
            for opens, closes in self.weekly.get(day.weekday(), [])
            if closes > opens
        ]


def business_add(hours: Hours, start: datetime, minutes: float) -> datetime:
    """The moment `minutes` of opening time after `start`. Outside opening hours the clock waits for the
    next opening; a due time falls inside opening hours."""
    remaining = timedelta(minutes=minutes)
    local = start.astimezone(hours.zone)
    day = local.date()
    for _ in range(MAX_DAYS):
        for opens, closes in hours.spans(day):
            begin = max(opens, local)
            if begin >= closes:
                continue
            available = closes - begin
            if remaining <= available:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError(f"No opening hours within {MAX_DAYS} days of {start:%Y-%m-%d}: check the calendar.")


def business_minutes_between(hours: Hours, start: datetime, end: datetime) -> float:
    """Minutes of opening time from `start` to `end` (0 when end is not after start)."""
    if end <= start:
        return 0.0
    total = timedelta()
    local_start, local_end = start.astimezone(hours.zone), end.astimezone(hours.zone)
    day = local_start.date()
    while day <= local_end.date():
        for opens, closes in hours.spans(day):
            begin, finish = max(opens, local_start), min(closes, local_end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total.total_seconds() / 60


def parse_weekly(value: dict) -> dict[int, list[tuple[time, time]]]:
    """{"0": [["09:00", "17:00"]], ...} as stored, into times; refuses what it cannot read."""
    weekly: dict[int, list[tuple[time, time]]] = {}
    for key, spans in (value or {}).items():
        weekday = int(key)
        if not 0 <= weekday <= 6:
            raise ValueError(f"Weekday {key} is not 0 (Monday) to 6 (Sunday).")
        parsed = []
        for opens, closes in spans:
            start, end = time.fromisoformat(opens), time.fromisoformat(closes)
            if end <= start:
                raise ValueError(f"{opens}-{closes}: a span closes after it opens, within the day.")
            parsed.append((start, end))
        weekly[weekday] = sorted(parsed)
    return weekly
