"""The campaign builder in the console: marketers build a journey or a broadcast step by step, preview
each message as a real customer would receive it, send themselves a test, activate it and read its
results. Agents do not see it; every change goes through the campaigns services."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django_celery_beat.models import CrontabSchedule

from campaigns.models import BroadcastRun, Campaign, Coupon, Delivery, Step
from campaigns.playbook import playbook_install
from lifecycle.models import Segment
from tests.campaigns.test_playbook import T0, order, register, tick
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def journey_form(**fields):
    return {
        "name": "Review request",
        "description": "",
        "trigger_kind": "shipment_delivered",
        "trigger_stage": "",
        "entry_segment": "",
        "entry_window_hours": "168",
        "exit_kinds": "",
        "reentry_days": "",
        "holdout_percent": "10",
        "conversion_days": "5",
        **fields,
    }


def step_form(**fields):
    return {
        "name": "Ask for a review",
        "delay": "3",
        "delay_unit": "days",
        "purpose": "marketing",
        "subject": "How is it, {{ customer.first_name }}?",
        "html": "<p>Hello {{ customer.first_name }},</p>\n<p>Tell us what you think.</p>",
        "text": "Hello {{ customer.first_name }}, tell us what you think.",
        "coupon_kind": "",
        "coupon_value": "",
        "coupon_valid_days": "30",
        "action": "save",
        **fields,
    }


@pytest.fixture
def marketer(client):
    user = UserFactory(role="marketer")
    client.force_login(user)
    return user


def test_a_marketer_builds_a_journey_step_by_step_and_activates_it(client, marketer):
    response = client.post("/console/campaigns/new/", {**journey_form(), "kind": "trigger"})
    campaign = Campaign.objects.get(name="Review request")
    assert response.status_code == 302
    assert response["Location"] == f"/console/campaigns/{campaign.pk}/steps/new/"
    assert (campaign.status, campaign.kind, campaign.slug) == ("draft", "trigger", "review-request")
    assert (campaign.trigger_kind, campaign.holdout_percent) == ("shipment_delivered", 10)

    client.post(f"/console/campaigns/{campaign.pk}/steps/new/", step_form())
    client.post(
        f"/console/campaigns/{campaign.pk}/steps/new/",
        step_form(
            name="Reminder", delay="7", subject="Still there?", coupon_kind="percent", coupon_value="10"
        ),
    )
    first, reminder = campaign.steps.order_by("position")
    assert (first.position, first.delay_minutes) == (1, 3 * 24 * 60)
    assert (reminder.position, reminder.delay_minutes, reminder.coupon_kind) == (2, 7 * 24 * 60, "percent")

    response = client.post(f"/console/campaigns/{campaign.pk}/status/", {"to": "active"}, follow=True)
    campaign.refresh_from_db()
    assert campaign.status == "active"
    assert "is active" in response.content.decode()

    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert "after 3 days" in page and "after 7 days" in page
    assert "Pause" in page and "Activate" not in page


def test_a_step_that_would_go_out_before_the_one_before_it_is_refused(client, marketer):
    campaign = Campaign.objects.create(slug="j", name="J", trigger_kind="registered")
    client.post(f"/console/campaigns/{campaign.pk}/steps/new/", step_form(delay="5"))

    response = client.post(f"/console/campaigns/{campaign.pk}/steps/new/", step_form(delay="2"))

    assert response.status_code == 200
    assert "Step 1 (Ask for a review) comes before this one and waits 5 days" in response.content.decode()
    assert campaign.steps.count() == 1


def test_a_template_that_does_not_compile_is_refused_with_its_line(client, marketer):
    campaign = Campaign.objects.create(slug="j", name="J", trigger_kind="registered")

    response = client.post(
        f"/console/campaigns/{campaign.pk}/steps/new/",
        step_form(html="<p>Hello</p>\n<p>\n{% if customer.first_name %}\n</p>"),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "line 3" in page and "endif" in page
    assert not campaign.steps.exists()


def test_the_preview_renders_as_a_real_customer_and_reaches_nothing_else(client, marketer, settings):
    register("grace", at=T0)
    campaign = Campaign.objects.create(slug="j", name="J", trigger_kind="registered")
    url = f"/console/campaigns/{campaign.pk}/steps/new/"
    hostile = "{{ settings.SECRET_KEY }}{{ request.user }}{{ user }}{{ perms }}|{{ customer.first_name }}|"

    response = client.post(
        url,
        step_form(text=hostile, action="preview", preview_customer="grace@mail.example"),
        HTTP_HX_REQUEST="true",
    )
    private = client.post(
        url, step_form(html="<p>\n{{ customer.__class__ }}</p>", action="preview"), HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "How is it, Grace?" in page
    assert "|Grace|" in page and settings.SECRET_KEY not in page and marketer.username not in page
    assert '<iframe class="preview-html" title="HTML version" sandbox' in page
    assert "html: line 2: Variables and attributes may not begin with underscores" in private.content.decode()
    assert not campaign.steps.exists()


def test_the_html_preview_is_a_frame_of_its_own_under_a_policy_for_email_and_only_for_its_marketer(
    client, marketer
):
    register("grace", at=T0)
    campaign = Campaign.objects.create(slug="j", name="J", trigger_kind="registered")
    preview = client.post(
        f"/console/campaigns/{campaign.pk}/steps/new/",
        step_form(html='<p style="color:#0f6fde">Hi {{ customer.first_name }}</p>', action="preview",
                  preview_customer="grace@mail.example"),
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    frame_url = re.search(r'src="(/console/campaigns/previews/[^"]+/)"', preview.content.decode())[1]

    html = client.get(frame_url)
    client.force_login(UserFactory(role="marketer"))
    colleague = client.get(frame_url)

    assert html.status_code == 200
    assert html.content.decode() == '<p style="color:#0f6fde">Hi Grace</p>'
    policy = html["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "style-src 'unsafe-inline'" in policy and "sandbox" in policy
    assert "script-src" not in policy and html["X-Frame-Options"] == "SAMEORIGIN"
    assert colleague.status_code == 404


def test_the_preview_without_a_customer_uses_made_up_values_and_says_so_for_an_unknown_one(client, marketer):
    campaign = Campaign.objects.create(slug="j", name="J", trigger_kind="registered")
    url = f"/console/campaigns/{campaign.pk}/steps/new/"

    made_up = client.post(url, step_form(action="preview"), HTTP_HX_REQUEST="true").content.decode()
    unknown = client.post(
        url, step_form(action="preview", preview_customer="nobody@mail.example"), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert "How is it, Ada?" in made_up
    assert "No customer nobody@mail.example: showing made-up values." in unknown


def test_a_test_send_goes_to_the_marketer_as_the_customer_would_see_it_and_records_nothing(client, marketer):
    register("grace", at=T0)
    campaign = Campaign.objects.create(slug="j", name="J", trigger_kind="registered")

    response = client.post(
        f"/console/campaigns/{campaign.pk}/steps/new/",
        step_form(
            action="test",
            preview_customer="grace@mail.example",
            coupon_kind="fixed",
            coupon_value="5",
            text="Hi {{ customer.first_name }}, {{ coupon.label }} off with {{ coupon.code }}",
        ),
    )

    assert response.status_code == 200
    [message] = mail.outbox
    assert message.to == [marketer.email]
    assert message.subject == "[Test] How is it, Grace?"
    assert message.body.startswith("Hi Grace, 5.00 ")
    assert "PREVIEW-CODE" in message.body
    assert not Step.objects.exists() and not Delivery.objects.exists() and not Coupon.objects.exists()


def test_a_broadcast_takes_a_cron_schedule_in_a_time_zone_and_refuses_a_wrong_one(client, marketer):
    segment = Segment.objects.create(
        name="Everyone", rule={"field": "stage", "op": "in", "value": ["prospect", "new"]}
    )
    form = {
        "kind": "broadcast",
        "name": "Monthly newsletter",
        "segment": segment.pk,
        "schedule": "0 9 1 * *",
        "schedule_time_zone": "Europe/Berlin",
        "send_rate_per_minute": "600",
        "holdout_percent": "0",
        "conversion_days": "5",
    }

    refused = client.post("/console/campaigns/new/", {**form, "schedule": "every monday"})
    client.post("/console/campaigns/new/", form)

    assert "Five cron fields" in refused.content.decode()
    campaign = Campaign.objects.get()
    assert campaign.kind == "broadcast" and campaign.send_rate_per_minute == 600
    schedule = CrontabSchedule.objects.get(pk=campaign.schedule_id)
    assert (schedule.minute, schedule.hour, schedule.day_of_month, str(schedule.timezone)) == (
        "0",
        "9",
        "1",
        "Europe/Berlin",
    )
    page = client.get(f"/console/campaigns/{campaign.pk}/").content.decode()
    assert 'value="0 9 1 * *"' in page


def test_send_now_starts_a_run_of_an_active_broadcast_only(
    client, marketer, django_capture_on_commit_callbacks
):
    segment = Segment.objects.create(
        name="Everyone", rule={"field": "stage", "op": "in", "value": ["prospect", "new"]}
    )
    campaign = Campaign.objects.create(slug="news", name="News", kind="broadcast", segment=segment)
    Step.objects.create(campaign=campaign, position=1, name="News", subject="News", html="<p>x</p>", text="x")

    refused = client.post(f"/console/campaigns/{campaign.pk}/send/", follow=True)
    assert "Only an active broadcast can be sent." in refused.content.decode()
    assert not BroadcastRun.objects.exists()

    client.post(f"/console/campaigns/{campaign.pk}/status/", {"to": "active"})
    with django_capture_on_commit_callbacks():
        client.post(f"/console/campaigns/{campaign.pk}/send/")
    assert BroadcastRun.objects.filter(campaign=campaign).count() == 1


def test_a_step_with_messages_stays_for_its_results_and_an_archived_campaign_is_read_only(client, marketer):
    playbook_install()
    register("ada", at=T0)
    tick(T0 + timedelta(days=2, minutes=1))
    welcome = Campaign.objects.get(slug="welcome")
    step = welcome.steps.get()
    assert Delivery.objects.filter(step=step).exists()

    response = client.post(f"/console/campaigns/{welcome.pk}/steps/{step.pk}/delete/", follow=True)
    assert "it stays for the results" in response.content.decode()
    assert Step.objects.filter(pk=step.pk).exists()

    client.post(f"/console/campaigns/{welcome.pk}/status/", {"to": "archived"})
    response = client.post(f"/console/campaigns/{welcome.pk}/steps/{step.pk}/", step_form(delay="2"))
    assert "An archived campaign cannot be changed." in response.content.decode()
    refused = client.post(f"/console/campaigns/{welcome.pk}/status/", {"to": "active"}, follow=True)
    assert "Not changed: Archived campaigns cannot become active." in refused.content.decode()


def test_an_active_campaign_cannot_lose_what_it_needs_to_run(client, marketer):
    playbook_install()
    welcome = Campaign.objects.get(slug="welcome")

    response = client.post(f"/console/campaigns/{welcome.pk}/", journey_form(name="Welcome", trigger_kind=""))

    assert "Name the event that enrolls customers." in response.content.decode()
    welcome.refresh_from_db()
    assert welcome.trigger_kind == "registered"


@pytest.mark.parametrize("role", ["marketer", "manager", "admin"])
def test_every_builder_page_renders_for_the_roles_that_run_campaigns(client, role):
    playbook_install()
    client.force_login(UserFactory(role=role))
    campaign = Campaign.objects.get(slug="first-purchase")
    step = campaign.steps.first()

    for url in [
        "/console/campaigns/",
        "/console/campaigns/new/",
        "/console/campaigns/new/?kind=broadcast",
        f"/console/campaigns/{campaign.pk}/",
        f"/console/campaigns/{campaign.pk}/steps/new/",
        f"/console/campaigns/{campaign.pk}/steps/{step.pk}/",
    ]:
        assert client.get(url).status_code == 200, url


def test_agents_and_visitors_are_kept_out(client):
    playbook_install()
    campaign = Campaign.objects.get(slug="welcome")
    urls = ["/console/campaigns/", f"/console/campaigns/{campaign.pk}/"]

    assert all(client.get(url).status_code == 302 for url in urls)
    client.force_login(UserFactory(role="agent"))
    assert all(client.get(url).status_code == 403 for url in urls)
    assert client.post(f"/console/campaigns/{campaign.pk}/status/", {"to": "paused"}).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "active"


def test_the_list_and_the_campaign_page_read_a_fixed_number_of_queries(
    client, marketer, django_assert_num_queries
):
    playbook_install()
    first_purchase = Campaign.objects.get(slug="first-purchase")

    def pages():
        # session, user, the user's and the groups' permissions; campaigns with segment and schedule;
        # delivery totals grouped by campaign; active enrollments grouped by campaign
        with django_assert_num_queries(7):
            client.get("/console/campaigns/")
        # session, user, the two permission reads; the campaign; its steps with conditions; their
        # variants; results grouped by step and variant; enrollments by state; the form's segments
        with django_assert_num_queries(10):
            client.get(f"/console/campaigns/{first_purchase.pk}/")

    pages()
    for n in range(6):
        customer = register(f"c{n}", at=T0)
        order(customer, at=T0 + timedelta(hours=1), number=f"N-{n}")
    for n in range(4):
        Campaign.objects.create(slug=f"extra-{n}", name=f"Extra {n}", trigger_kind="registered")
    Segment.objects.create(name="Everyone", rule={"field": "stage", "op": "in", "value": ["prospect", "new"]})
    tick(T0 + timedelta(days=6, minutes=1))
    assert Delivery.objects.filter(campaign=first_purchase).count() == 12
    pages()
