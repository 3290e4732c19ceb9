"""What happens after a message leaves: the ESP's tracking webhooks (authenticated, applied once, never
moving a message back), bounces and complaints suppressing the address, and one-click unsubscribe."""

import base64
import json
from datetime import timedelta

import pytest
from django.core import mail

from campaigns.models import Delivery, DeliveryEvent, Suppression
from campaigns.sending import unsubscribe_url
from carecrm import clock
from lifecycle.models import Event
from tests.campaigns.test_playbook import T0, playbook, register, tick  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
URL = "/anymail/postmark/tracking/"
SECRET = "hook:s3cret-words"


@pytest.fixture(autouse=True)
def received_soon_after(monkeypatch):
    """The webhooks arrive an hour after the events they report, as ESPs send them."""
    monkeypatch.setattr(clock, "now", lambda: T0 + timedelta(days=3, hours=1))


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


@pytest.fixture
def welcome_sent():
    ada = register("ada")
    tick(T0 + timedelta(days=2, minutes=1))
    return Delivery.objects.get(customer=ada, status="sent")


def auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def postmark(client, delivery, record_type: str, *, headers=None, **fields):
    payload = {
        "RecordType": record_type,
        "MessageID": "pm-" + str(delivery.pk),
        "Recipient": delivery.to,
        "Metadata": {"delivery": str(delivery.pk)},
        "ReceivedAt": (T0 + timedelta(days=3)).isoformat(),
        **fields,
    }
    return client.post(URL, json.dumps(payload), content_type="application/json", **(headers or {}))


def test_a_webhook_without_its_secret_configured_is_not_there(client, welcome_sent):
    assert postmark(client, welcome_sent, "Open", headers=auth()).status_code == 404
    assert not DeliveryEvent.objects.exists()


@pytest.mark.parametrize("headers", [{}, auth("hook:wrong"), auth("other:s3cret-words")])
def test_a_webhook_without_valid_authentication_is_refused(client, webhook_secret, welcome_sent, headers):
    answer = postmark(client, welcome_sent, "Open", headers=headers)

    assert answer.status_code in (400, 401, 403)
    welcome_sent.refresh_from_db()
    assert (welcome_sent.status, welcome_sent.opened_at) == ("sent", None)
    assert not DeliveryEvent.objects.exists()


def test_an_open_delivered_twice_counts_once(client, webhook_secret, welcome_sent):
    for _ in range(2):
        assert postmark(client, welcome_sent, "Open", headers=auth()).status_code == 200

    welcome_sent.refresh_from_db()
    assert welcome_sent.status == "opened"
    assert welcome_sent.opened_at == T0 + timedelta(days=3)
    assert DeliveryEvent.objects.count() == 1
    opened = Event.objects.get(kind="message_opened")
    assert opened.data["campaign"] == "welcome"


def test_a_captured_webhook_replayed_after_the_esps_retries_end_is_ignored(
    client, webhook_secret, welcome_sent, monkeypatch
):
    monkeypatch.setattr(clock, "now", lambda: T0 + timedelta(days=6, hours=1))  # 3 days and 1 hour later

    answer = postmark(client, welcome_sent, "Open", headers=auth())

    assert answer.status_code == 200  # the ESP is told it arrived, so it stops sending it
    welcome_sent.refresh_from_db()
    assert (welcome_sent.status, welcome_sent.opened_at) == ("sent", None)
    assert not DeliveryEvent.objects.exists()
    assert not Event.objects.filter(kind="message_opened").exists()


def test_an_event_dated_ahead_of_our_clock_is_dated_when_it_arrived(client, webhook_secret, welcome_sent):
    answer = postmark(
        client, welcome_sent, "Open", headers=auth(), ReceivedAt=(T0 + timedelta(days=9)).isoformat()
    )

    assert answer.status_code == 200
    welcome_sent.refresh_from_db()
    assert welcome_sent.opened_at == T0 + timedelta(days=3, hours=1)


def test_a_late_open_does_not_move_a_clicked_message_back(client, webhook_secret, welcome_sent):
    postmark(client, welcome_sent, "Click", headers=auth(), OriginalLink="https://shop.example/kitchen")
    postmark(client, welcome_sent, "Open", headers=auth())

    welcome_sent.refresh_from_db()
    assert welcome_sent.status == "clicked"
    assert Event.objects.get(kind="message_clicked").data["url"] == "https://shop.example/kitchen"


def test_a_hard_bounce_suppresses_the_address_for_every_later_campaign(client, webhook_secret, welcome_sent):
    postmark(
        client,
        welcome_sent,
        "Bounce",
        headers=auth(),
        Type="HardBounce",
        ID=42,
        BouncedAt=(T0 + timedelta(days=2, hours=1)).isoformat(),
    )

    welcome_sent.refresh_from_db()
    assert welcome_sent.status == "bounced"
    assert Suppression.objects.get(email=welcome_sent.to).reason == "bounce"
    from tests.campaigns.test_playbook import order

    order(welcome_sent.customer, at=T0 + timedelta(days=3), number="A-1")
    tick(T0 + timedelta(days=3, hours=1))
    confirmation = Delivery.objects.get(customer=welcome_sent.customer, campaign__slug="first-purchase")
    assert (confirmation.status, confirmation.reason) == (
        "skipped",
        "The address is suppressed (bounce or complaint).",
    )


def test_a_spam_complaint_suppresses_and_unsubscribes(client, webhook_secret, welcome_sent):
    postmark(
        client,
        welcome_sent,
        "SpamComplaint",
        headers=auth(),
        ID=7,
        BouncedAt=(T0 + timedelta(days=2, hours=1)).isoformat(),
    )

    welcome_sent.customer.refresh_from_db()
    assert welcome_sent.customer.marketing_opt_in is False
    assert Event.objects.get(kind="unsubscribed").data["campaign"] == "welcome"
    assert Suppression.objects.get(email=welcome_sent.to).reason == "complaint"


def test_one_click_unsubscribe_is_a_post_and_counts_against_the_campaign(client, welcome_sent):
    path = unsubscribe_url(welcome_sent).split("127.0.0.1:8000", 1)[-1]

    page = client.get(path)
    assert page.status_code == 200 and b"Unsubscribe" in page.content
    welcome_sent.customer.refresh_from_db()
    assert welcome_sent.customer.marketing_opt_in is True  # a link scanner's GET changes nothing

    for _ in range(2):  # the mail client's button (RFC 8058), then the page's
        assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200

    welcome_sent.refresh_from_db()
    welcome_sent.customer.refresh_from_db()
    assert welcome_sent.customer.marketing_opt_in is False
    assert welcome_sent.unsubscribed_at is not None
    assert Event.objects.filter(kind="unsubscribed").count() == 1


@pytest.mark.parametrize("token", ["nonsense", "WzEsIDJd:forged"])
def test_a_forged_unsubscribe_link_is_not_found(client, welcome_sent, token):
    assert client.post(f"/unsubscribe/{token}/").status_code == 404
    welcome_sent.customer.refresh_from_db()
    assert welcome_sent.customer.marketing_opt_in is True


def test_the_message_carries_its_delivery_for_the_webhooks(welcome_sent):
    message = next(m for m in mail.outbox if m.to == [welcome_sent.to])
    assert message.metadata == {"delivery": str(welcome_sent.pk), "campaign": "welcome"}
    assert message.extra_headers["Message-ID"] == welcome_sent.message_id
