"""POST and GET /api/v1/tickets/: a store or a phone system opens tickets and lists them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CustomerFactory
from tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


def test_a_ticket_opened_through_the_api_answers_with_its_reference_and_due_time(api):
    response = api.post(
        URL,
        {
            "channel": "phone",
            "customer": {"email": "Ana@Mail.example"},
            "subject": "Call",
            "body": "Asked about a refund.",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"] == f"CR-{body['id']:06d}"
    assert (body["status"], body["priority"], body["channel"]) == ("new", "normal", "phone")
    assert body["due_at"] is not None
    assert Ticket.objects.get().customer.email == "ana@mail.example"


def test_a_customer_is_named_by_external_id_too(api):
    customer = CustomerFactory(external_id="shop-7", email="seven@mail.example")

    response = api.post(
        URL,
        {"channel": "api", "customer": {"external_id": "shop-7"}, "subject": "Hi", "body": "Hello"},
        format="json",
    )

    assert response.status_code == 201
    assert Ticket.objects.get().customer == customer


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"customer": {}}, "customer"),
        ({"customer": {"external_id": "nobody"}}, "customer"),
        ({"subject": ""}, "subject"),
        ({"body": ""}, "body"),
        ({"subject": "x" * 301}, "subject"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, payload, field):
    valid = {"channel": "web", "customer": {"email": "a@mail.example"}, "subject": "S", "body": "B"}

    response = api.post(URL, {**valid, **payload}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Ticket.objects.count() == 0


def test_the_list_filters_by_status_and_customer_and_its_queries_do_not_grow(api):
    def open_ticket(email):
        api.post(
            URL, {"channel": "web", "customer": {"email": email}, "subject": "S", "body": "B"}, format="json"
        )

    for n in range(3):
        open_ticket(f"c{n}@mail.example")
    first = Ticket.objects.order_by("pk").first()
    Ticket.objects.filter(pk=first.pk).update(status=Ticket.Status.RESOLVED)

    assert api.get(URL, {"status": "resolved"}).json()["count"] == 1
    assert api.get(URL, {"customer": first.customer_id}).json()["results"][0]["id"] == first.pk

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(URL).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for n in range(3, 20):
        open_ticket(f"c{n}@mail.example")
    assert queries() == few


@pytest.mark.parametrize("customer", ["1.5", "ten", "1e3", str(2**63), str(-(2**63) - 1), str(10**30)])
def test_the_customer_filter_takes_a_whole_id_a_column_can_hold(api, customer):
    # given an id no 64-bit column holds (SQLite cannot even compare one), or no whole number at all
    response = api.get(URL, {"customer": customer})

    # then it is refused as input instead of failing in the database
    assert response.status_code == 400
    assert "customer" in response.json()


def test_the_largest_id_a_column_holds_finds_nothing(api):
    response = api.get(URL, {"customer": str(2**63 - 1)})

    assert response.status_code == 200
    assert response.json()["count"] == 0


# --- POST inbound-email/ ----------------------------------------------------------------------------

NUL_IN_HEADERS = (
    b"From: =?utf-8?q?Mira=00_Holt?= <mira.holt@mail.example>\r\n"
    b"To: care@shop.example\r\n"
    b"Subject: Where is\x00 my parcel?\r\n"
    b"Message-ID: <nul-1@mail.example>\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n"
    b"\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nHello, my parcel is late.\r\n"
    b'--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="lab\x00el.txt"\r\n'
    b"\r\nlabel\r\n--b--\r\n"
)


def test_mail_with_nul_in_its_headers_is_filed_without_them(api):
    # given a message whose sender name, subject and attachment name carry NUL characters, which
    # PostgreSQL cannot store in text; when it is posted
    response = api.generic("POST", "/api/v1/inbound-email/", NUL_IN_HEADERS, content_type="message/rfc822")

    # then it is filed like any other, the NULs left out
    assert response.status_code == 201, response.content
    filed = response.json()
    ticket = Ticket.objects.get(pk=filed["ticket"])
    assert ticket.subject == "Where is my parcel?"
    assert ticket.customer.email == "mira.holt@mail.example"
    message = Message.objects.get(pk=filed["message"])
    assert [attachment.filename for attachment in message.attachments.all()] == ["label.txt"]
