"""SLA on business hours: across a weekend, a holiday, a time zone and a pause; warnings and breaches
recorded once; status moves that keep the clocks."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from lifecycle.models import Event
from tickets import sla
from tickets.calendar import Hours, business_add, business_minutes_between, parse_weekly
from tickets.models import BusinessCalendar, Holiday, SlaAlert, SlaPolicy, Ticket
from tickets.services import ticket_open, ticket_status_set

WEEKDAYS_9_TO_17 = {day: [(time(9), time(17))] for day in range(5)}
UTC_HOURS = Hours("UTC", WEEKDAYS_9_TO_17)
# 2026-11-27 is a Friday.
FRIDAY_4PM = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, zone=UTC) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)


# --- The calendar -----------------------------------------------------------------------------------


def test_a_day_of_business_time_from_friday_afternoon_ends_on_monday_afternoon():
    # One hour on Friday, seven on Monday: the weekend does not count.
    assert business_add(UTC_HOURS, FRIDAY_4PM, 8 * 60) == at(30, 16)
    assert business_minutes_between(UTC_HOURS, FRIDAY_4PM, at(30, 16)) == 8 * 60


def test_a_holiday_is_skipped_like_a_weekend():
    hours = Hours("UTC", WEEKDAYS_9_TO_17, holidays=frozenset({date(2026, 11, 30)}))

    assert business_add(hours, FRIDAY_4PM, 8 * 60) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert business_minutes_between(hours, FRIDAY_4PM, datetime(2026, 12, 1, 16, 0, tzinfo=UTC)) == 8 * 60


def test_mail_arriving_at_night_waits_for_the_morning():
    assert business_add(UTC_HOURS, at(25, 22), 60) == at(26, 10)
    assert business_add(UTC_HOURS, at(28, 12), 30) == at(30, 9, 30)  # Saturday noon


def test_hours_are_counted_in_the_calendars_time_zone():
    # A team in Kolkata (UTC+5:30), open 9-17 there: 16:00 UTC on a Wednesday is 21:30 in Kolkata.
    kolkata = Hours("Asia/Kolkata", WEEKDAYS_9_TO_17)
    start = at(25, 16)

    due = business_add(kolkata, start, 60)

    assert due == datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert due == at(26, 4, 30)
    assert due.tzinfo == UTC  # answered in the zone it was asked in


def test_daylight_saving_does_not_move_opening_hours():
    berlin = Hours("Europe/Berlin", WEEKDAYS_9_TO_17)
    # Friday 16:00 in Berlin before the clocks go back (25 Oct 2026), one day of business time.
    start = datetime(2026, 10, 23, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    due = business_add(berlin, start, 8 * 60)

    assert due.astimezone(ZoneInfo("Europe/Berlin")) == datetime(
        2026, 10, 26, 16, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )


def test_a_calendar_without_opening_hours_is_an_error_not_a_hang():
    with pytest.raises(ValueError, match="No opening hours"):
        business_add(Hours("UTC", {}), FRIDAY_4PM, 60)
    with pytest.raises(ValueError):
        parse_weekly({"7": [["09:00", "17:00"]]})
    with pytest.raises(ValueError):
        parse_weekly({"0": [["17:00", "09:00"]]})


# --- Tickets ----------------------------------------------------------------------------------------


@pytest.fixture
def support_hours(db):
    """The default calendar the migration creates, in UTC, with a holiday on Monday 30 November."""
    calendar = BusinessCalendar.objects.get(name="Support hours")
    calendar.time_zone = "UTC"
    calendar.save()
    Holiday.objects.create(calendar=calendar, day=date(2026, 11, 30), name="Team day")
    return calendar


def open_at(now: datetime, **fields) -> Ticket:
    return ticket_open(
        channel="web", email="ana@mail.example", subject="Help", body="Please", now=now, **fields
    ).ticket


def test_a_new_ticket_is_due_within_one_business_day_by_the_default_policy(support_hours):
    assert SlaPolicy.objects.get(priority="normal").first_response_minutes == 480

    ticket = open_at(FRIDAY_4PM)

    # Friday 16-17, Monday is a holiday, Tuesday 9-16.
    assert ticket.first_response_due_at == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert ticket.resolution_due_at > ticket.first_response_due_at


def test_waiting_on_the_customer_pauses_the_clocks_and_their_answer_resumes_them(support_hours):
    ticket = open_at(at(25, 10))  # Wednesday 10:00: due Thursday 10:00
    assert ticket.first_response_due_at == at(26, 10)

    ticket_status_set(ticket=ticket, status=Ticket.Status.PENDING, now=at(25, 12))
    # Two business hours had passed; six were left. The customer answers on Friday at 15:00.
    ticket_status_set(ticket=ticket, status=Ticket.Status.OPEN, now=at(27, 15))

    ticket.refresh_from_db()
    assert ticket.sla_paused_at is None
    # Friday 15-17 (2 h), Monday is a holiday, Tuesday 9-13 (4 h).
    assert ticket.first_response_due_at == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


def test_resolving_records_the_business_time_and_an_event_and_closed_is_final(support_hours):
    ticket = open_at(at(25, 10))

    ticket_status_set(ticket=ticket, status=Ticket.Status.RESOLVED, now=at(26, 11), actor="agent")

    ticket.refresh_from_db()
    assert ticket.resolution_minutes == 9 * 60  # Wednesday 10-17, Thursday 9-11
    assert Event.objects.filter(kind="ticket_resolved", data__ticket=ticket.pk).count() == 1
    ticket_status_set(ticket=ticket, status=Ticket.Status.CLOSED, now=at(26, 12))
    with pytest.raises(ValidationError):
        ticket_status_set(ticket=ticket, status=Ticket.Status.OPEN, now=at(26, 13))


def test_the_sla_check_warns_before_and_records_the_breach_once(support_hours):
    ticket = open_at(at(25, 10))  # first response due Thursday 10:00
    paused = open_at(at(25, 10))
    ticket_status_set(ticket=paused, status=Ticket.Status.PENDING, now=at(25, 11))

    assert sla.sla_check(now=at(26, 8, 30)) == "0 SLA warnings, 0 breaches"
    assert sla.sla_check(now=at(26, 9, 30)) == "1 SLA warnings, 0 breaches"
    assert sla.sla_check(now=at(26, 9, 45)) == "0 SLA warnings, 0 breaches"
    assert sla.sla_check(now=at(26, 10, 1)) == "0 SLA warnings, 1 breaches"
    assert sla.sla_check(now=at(26, 12)) == "0 SLA warnings, 0 breaches"

    alerts = list(SlaAlert.objects.values_list("ticket_id", "target", "stage"))
    assert sorted(alerts) == [
        (ticket.pk, "first_response", "breached"),
        (ticket.pk, "first_response", "warning"),
    ]
    assert timedelta(0) < ticket.resolution_due_at - ticket.first_response_due_at


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"weekly_hours": {"0": [["17:00", "09:00"]]}}, "weekly_hours"),
        ({"weekly_hours": {"monday": "9-5"}}, "weekly_hours"),
        ({"weekly_hours": {}}, "weekly_hours"),
    ],
)
def test_a_calendar_that_cannot_be_counted_is_refused_when_saved_in_the_admin(db, fields, field):
    calendar = BusinessCalendar(name="Broken", **fields)

    with pytest.raises(ValidationError) as refused:
        calendar.full_clean()

    assert field in refused.value.message_dict
