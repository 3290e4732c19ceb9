"""Broadcasts on their schedule through `tick`: one run per slot (the latest when several were missed),
the segment's customers with consent get the message once, and a run's fan-out is never done twice at
once, while one that died is taken over."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule

from campaigns.models import BroadcastRun, Campaign, Delivery, Step
from campaigns.services import FAN_OUT_LEASE, broadcast_start, campaign_status_set
from lifecycle.models import Segment
from lifecycle.services import customer_upsert

pytestmark = pytest.mark.django_db
FEB = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
EVERYONE = {"field": "stage", "op": "in", "value": ["prospect", "new", "active", "loyal", "dormant", "lost"]}


def tick(at: datetime) -> None:
    call_command("tick", now=at.isoformat(), stdout=io.StringIO())
    call_command("tick", now=(at + timedelta(minutes=2)).isoformat(), stdout=io.StringIO())


@pytest.fixture
def newsletter():
    for n, consent in enumerate([True, True, True, False]):
        customer_upsert(
            data={
                "external_id": f"n{n}",
                "email": f"n{n}@mail.example",
                "first_name": f"N{n}",
                "registered_at": FEB - timedelta(days=30),
                "marketing_opt_in": consent,
            },
            source="test",
            now=FEB - timedelta(days=30),
        )
    schedule = CrontabSchedule.objects.create(
        minute="0", hour="9", day_of_month="1", month_of_year="*", day_of_week="*", timezone="UTC"
    )
    campaign = Campaign.objects.create(
        slug="newsletter",
        name="Monthly newsletter",
        kind=Campaign.Kind.BROADCAST,
        segment=Segment.objects.create(name="Everyone", rule=EVERYONE),
        schedule=schedule,
    )
    Step.objects.create(
        campaign=campaign,
        position=1,
        name="News",
        subject="News for {{ customer.first_name }}",
        html="<p>Hi</p>",
        text="Hi",
    )
    return campaign_status_set(campaign=campaign, to=Campaign.Status.ACTIVE, now=FEB)


def test_a_scheduled_broadcast_goes_to_the_segment_once_per_slot(newsletter):
    tick(datetime(2026, 3, 1, 9, 1, tzinfo=UTC))
    tick(datetime(2026, 3, 1, 9, 30, tzinfo=UTC))

    [run] = BroadcastRun.objects.all()
    assert run.scheduled_for == datetime(2026, 3, 1, 9, 0, tzinfo=UTC) and run.audience == 4
    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses == ["sent", "sent", "sent", "skipped"]  # the one without consent is skipped

    tick(datetime(2026, 5, 1, 10, 0, tzinfo=UTC))  # April's slot was missed: only May's goes out

    assert list(BroadcastRun.objects.order_by("scheduled_for").values_list("scheduled_for", flat=True)) == [
        datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 5, 1, 9, 0, tzinfo=UTC),
    ]
    assert Delivery.objects.filter(status="sent").count() == 6


def test_a_fan_out_at_work_is_left_alone_and_a_dead_one_is_taken_over(newsletter):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    run = broadcast_start(campaign=newsletter, scheduled_for=now, now=now)  # its task never comes
    BroadcastRun.objects.filter(pk=run.pk).update(fan_out_beat_at=now)  # as if a worker were on it

    call_command("tick", now=(now + timedelta(seconds=30)).isoformat(), stdout=io.StringIO())
    assert not Delivery.objects.exists()

    call_command("tick", now=(now + FAN_OUT_LEASE + timedelta(seconds=1)).isoformat(), stdout=io.StringIO())
    run.refresh_from_db()
    assert run.fanned_out_at is not None and run.audience == 4
    assert Delivery.objects.filter(run=run).count() == 4
