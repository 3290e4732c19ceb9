"""Inbound email through ESP webhooks (django-anymail): Mailgun with its HMAC signature, Postmark with
basic auth; both file through the same service as the raw endpoint."""

import base64
import hashlib
import hmac
import json
import time
from email.message import EmailMessage

import pytest

from tickets.models import Ticket

pytestmark = pytest.mark.django_db
SIGNING_KEY = "mailgun-signing-key-for-tests"
SECRET = "esp:webhook-password"


@pytest.fixture(autouse=True)
def esp_settings(settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
    }


def basic_auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def raw_message(message_id="<esp-1@mail.example>") -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Lima <ana@mail.example>"
    message["To"] = "care@shop.example"
    message["Subject"] = "Where is my parcel?"
    message["Message-ID"] = message_id
    message.set_content("It is a week late.")
    return message.as_bytes()


def mailgun_fields(raw: bytes, *, key: str = SIGNING_KEY) -> dict:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"body-mime": raw.decode(), "timestamp": timestamp, "token": token, "signature": signature}


def test_a_signed_mailgun_route_files_the_message_once(client):
    fields = mailgun_fields(raw_message())

    first = client.post("/anymail/mailgun/inbound_mime/", fields, **basic_auth())
    again = client.post("/anymail/mailgun/inbound_mime/", fields, **basic_auth())

    assert first.status_code == again.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject, ticket.customer.email) == (
        "email",
        "Where is my parcel?",
        "ana@mail.example",
    )


def test_a_wrong_mailgun_signature_or_password_files_nothing(client):
    forged = client.post(
        "/anymail/mailgun/inbound_mime/", mailgun_fields(raw_message(), key="guess"), **basic_auth()
    )
    no_password = client.post("/anymail/mailgun/inbound_mime/", mailgun_fields(raw_message()))

    assert forged.status_code == 400
    assert no_password.status_code == 400  # anymail answers any failed check with 400
    assert Ticket.objects.count() == 0


def test_postmark_inbound_with_the_raw_email_files_the_message(client):
    payload = {
        "From": "ana@mail.example",
        "FromFull": {"Email": "ana@mail.example", "Name": "Ana Lima"},
        "To": "care@shop.example",
        "ToFull": [{"Email": "care@shop.example", "Name": ""}],
        "Subject": "Where is my parcel?",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "TextBody": "It is a week late.",
        "Headers": [],
        "Attachments": [],
        "RawEmail": raw_message("<esp-2@mail.example>").decode(),
    }

    response = client.post(
        "/anymail/postmark/inbound/", json.dumps(payload), content_type="application/json", **basic_auth()
    )
    refused = client.post(
        "/anymail/postmark/inbound/",
        json.dumps(payload),
        content_type="application/json",
        **basic_auth("x:y"),
    )

    assert response.status_code == 200
    assert refused.status_code == 400
    assert Ticket.objects.get().messages.get(direction="inbound").message_id == "esp-2@mail.example"


def test_an_esp_without_credentials_is_not_listening(client, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "", "MAILGUN_WEBHOOK_SIGNING_KEY": ""}

    assert client.post("/anymail/mailgun/inbound_mime/", mailgun_fields(raw_message())).status_code == 404
    assert client.post("/anymail/postmark/inbound/", "{}", content_type="application/json").status_code == 404
