"""The managers' dashboards and the weekly report: figures that match the tickets, orders and campaigns
behind them, each chart's table as CSV, a fixed number of queries however much data, the right roles,
and the report mailed once on Monday morning."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from console.dashboards import Period, after_sales_charts, percentile, support_charts
from console.models import WeeklyReport
from orders.models import Order
from tests.factories import CustomerFactory, UserFactory
from tickets.models import CsatRating, Ticket

pytestmark = pytest.mark.django_db
# A Wednesday; its week starts on Monday 2026-03-02.
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
THIS_MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LAST_MONDAY = THIS_MONDAY - timedelta(days=7)


def ticket(
    *, at: datetime, channel="email", first_minutes=None, in_sla=None, resolved_minutes=None, rating=None
):
    customer = CustomerFactory()
    due = at + timedelta(hours=4)
    t = Ticket.objects.create(
        customer=customer,
        channel=channel,
        subject="Question",
        status="resolved" if resolved_minutes is not None else "open",
        created_at=at,
        updated_at=at,
        first_response_due_at=due,
        first_responded_at=(due - timedelta(minutes=1) if in_sla else due + timedelta(hours=1))
        if first_minutes is not None
        else None,
        first_response_minutes=first_minutes,
        resolved_at=at + timedelta(days=1) if resolved_minutes is not None else None,
        resolution_minutes=resolved_minutes,
    )
    if rating:
        CsatRating.objects.create(ticket=t, rating=rating, created_at=at, updated_at=at)
    return t


def chart(charts, name):
    return next(c for c in charts if c.name == name)


def test_percentile_is_the_nearest_rank():
    assert percentile([], 0.9) is None
    assert percentile([10], 0.9) == 10
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 11)), 0.5) == 5


def test_support_figures_match_the_tickets_behind_them():
    ticket(at=THIS_MONDAY, channel="email", first_minutes=60, in_sla=True, resolved_minutes=600, rating=5)
    ticket(at=THIS_MONDAY, channel="email", first_minutes=120, in_sla=True, rating=2)
    ticket(at=THIS_MONDAY, channel="chat", first_minutes=600, in_sla=False)
    ticket(at=THIS_MONDAY, channel="phone")  # not answered yet
    ticket(at=LAST_MONDAY, channel="web", first_minutes=30, in_sla=True)

    charts = support_charts(Period(weeks=2, now=NOW))

    volume = chart(charts, "volume")
    assert volume.labels == ["2026-02-23", "2026-03-02"]
    assert dict(volume.series)["Email"] == [0, 2]
    assert dict(volume.series)["Chat"] == [0, 1]
    assert dict(volume.series)["Web form"] == [1, 0]
    times = dict(chart(charts, "response_times").series)
    assert times["First response, median"] == [0.5, 2.0]
    assert times["First response, p90"] == [0.5, 10.0]
    assert times["Resolution, median"] == [None, 10.0]
    assert dict(chart(charts, "sla").series)["First response within target"] == [100.0, 66.7]
    assert dict(chart(charts, "csat").series)["Satisfied (4 or 5 of 5)"] == [None, 50.0]
    backlog = chart(charts, "backlog")
    assert sum(backlog.series[0][1]) == 4  # every open ticket, whatever its week


def test_on_time_delivery_counts_orders_delivered_by_their_promise():
    customer = CustomerFactory()
    for n, late_days in enumerate([0, 0, 2]):
        Order.objects.create(
            customer=customer,
            number=f"D-{n}",
            placed_at=THIS_MONDAY - timedelta(days=5),
            currency="EUR",
            total=Decimal("10"),
            status="delivered",
            promised_delivery_date=date(2026, 3, 2),
            delivered_at=THIS_MONDAY + timedelta(days=late_days),
        )

    on_time = chart(after_sales_charts(Period(weeks=1, now=NOW)), "on_time")

    assert dict(on_time.series)["Delivered by the promised date"] == [66.7]
    assert dict(on_time.extra_columns)["Late"] == [1]


def test_each_chart_downloads_as_csv_with_its_table(client):
    client.force_login(UserFactory(role="manager"))
    ticket(at=timezone.now() - timedelta(minutes=1), channel="chat", first_minutes=60, in_sla=True)

    response = client.get("/console/dashboards/support/", {"weeks": "4", "csv": "volume"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="support-volume.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Week", "Email", "Web form", "Chat", "Phone", "API"]
    assert len(rows) == 5 and rows[-1][3] == "1"
    assert client.get("/console/dashboards/support/", {"csv": "nope"}).status_code == 404


@pytest.mark.parametrize("name", ["support", "after-sales", "lifecycle", "chat", "campaigns"])
def test_a_dashboard_reads_as_many_queries_for_much_data_as_for_little(client, name):
    client.force_login(UserFactory(role="manager"))
    now = timezone.now()
    ticket(at=now - timedelta(days=3), first_minutes=60, in_sla=True, rating=4)

    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"/console/dashboards/{name}/").status_code == 200
        return len(context.captured_queries)

    few = queries()
    for n in range(30):
        ticket(
            at=now - timedelta(days=n),
            first_minutes=n * 10,
            in_sla=n % 2 == 0,
            resolved_minutes=n,
            rating=n % 5 + 1,
        )
    many = queries()
    assert many == few
    assert client.get("/console/dashboards/support/").context["charts"][0].series[0][1][-1] > 0


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_see_every_dashboard_and_the_report(client, role):
    client.force_login(UserFactory(role=role))
    for url in [
        "/console/dashboards/",
        "/console/dashboards/after-sales/",
        "/console/dashboards/lifecycle/",
        "/console/dashboards/chat/",
        "/console/dashboards/campaigns/",
        "/console/reports/weekly/",
    ]:
        assert client.get(url).status_code == 200, url


def test_marketers_see_the_campaign_results_only_and_agents_no_dashboard(client):
    client.force_login(UserFactory(role="marketer"))
    assert client.get("/console/dashboards/campaigns/").status_code == 200
    assert client.get("/console/dashboards/support/").status_code == 403
    assert client.get("/console/reports/weekly/").status_code == 403
    client.force_login(UserFactory(role="agent"))
    assert client.get("/console/dashboards/campaigns/").status_code == 403
    assert client.get("/console/dashboards/support/").status_code == 403
    assert client.get("/console/dashboards/nope/").status_code == 404


def test_the_weekly_report_goes_to_the_managers_once_on_monday_morning():
    UserFactory(role="manager", email="boss@shop.example")
    UserFactory(role="agent", email="agent@shop.example")
    ticket(at=LAST_MONDAY, channel="email", first_minutes=60, in_sla=True, resolved_minutes=120)
    ticket(at=LAST_MONDAY - timedelta(days=7), channel="chat", first_minutes=240, in_sla=False)
    monday = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)

    call_command("tick", now=monday.isoformat(), stdout=io.StringIO())  # 07:00 in the shop has not come
    assert not WeeklyReport.objects.exists() and not mail.outbox
    call_command("tick", now=(monday + timedelta(hours=2)).isoformat(), stdout=io.StringIO())
    call_command("tick", now=(monday + timedelta(hours=3)).isoformat(), stdout=io.StringIO())

    [message] = mail.outbox
    assert message.to == ["boss@shop.example"]
    assert message.subject == "Support, week of 23 Feb 2026"
    assert "Tickets opened: 1 (week before: 1)" in message.body
    assert "First response, median (business hours): 1.0 (week before: 4.0), better" in message.body
    report = WeeklyReport.objects.get()
    assert report.week_start == date(2026, 2, 23) and report.recipients == ["boss@shop.example"]


def test_the_weekly_report_page_compares_and_sends_on_demand_once(client):
    client.force_login(UserFactory(role="manager", email="boss@shop.example"))
    ticket(at=LAST_MONDAY, first_minutes=60, in_sla=True)

    page = client.get("/console/reports/weekly/", {"week": "2026-02-25"})
    first = client.post("/console/reports/weekly/?week=2026-02-23", follow=True)
    again = client.post("/console/reports/weekly/?week=2026-02-23", follow=True)

    assert page.context["start"] == date(2026, 2, 23)
    assert "This week against the week before." in page.content.decode()
    assert "sent to 1 managers" in first.content.decode()
    assert "had already gone out" in again.content.decode()
    assert len(mail.outbox) == 1
