"""POST and GET /api/v1/tickets/: a store or a phone system opens tickets and lists them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CustomerFactory
from tickets.models import Ticket

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
