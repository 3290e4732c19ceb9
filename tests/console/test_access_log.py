"""The access log: who viewed, changed, emailed, exported, merged or erased which customer's data,
recorded by the console as it happens, kept through erasure, and shown to managers."""

import pytest

from customers.models import AccessRecord
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_viewing_exporting_and_erasing_are_recorded_with_who_did_it(client):
    customer = CustomerFactory(email="ada@mail.example")
    client.force_login(UserFactory(username="alex", role="agent"))
    client.get(f"/console/customers/{customer.pk}/")
    client.get(f"/console/customers/{customer.pk}/", {"part": "timeline"}, HTTP_HX_REQUEST="true")  # paging
    client.get(f"/console/customers/{customer.pk}/export/")
    client.force_login(UserFactory(username="mina", role="manager"))
    client.post(f"/console/customers/{customer.pk}/erase/", {"confirm": "ERASE"})

    log = list(AccessRecord.objects.order_by("at", "id").values_list("actor", "action"))
    assert log == [("alex", "viewed"), ("alex", "exported"), ("mina", "erased")]
    customer.refresh_from_db()
    assert customer.erased_at is not None  # and the record of it stays


def test_opening_a_ticket_of_the_customer_is_recorded_but_its_live_refreshes_are_not(client):
    from tickets.services import ticket_open

    opened = ticket_open(channel="web", email="ada@mail.example", name="Ada", subject="Parcel", body="Where?")
    client.force_login(UserFactory(username="alex", role="agent"))

    client.get(f"/console/tickets/{opened.ticket.pk}/")
    client.post(f"/console/tickets/{opened.ticket.pk}/note/", {"text": "Asked DHL."}, HTTP_HX_REQUEST="true")

    record = AccessRecord.objects.get()
    assert (record.customer_id, record.actor, record.action) == (opened.ticket.customer_id, "alex", "viewed")
    assert record.detail == opened.ticket.reference


def test_managers_read_the_log_and_agents_do_not(client, django_assert_num_queries):
    customer = CustomerFactory()
    for n in range(30):
        AccessRecord.objects.create(
            customer=customer, actor=f"agent{n % 3}", action="viewed", at=customer.registered_at
        )

    client.force_login(UserFactory(role="manager"))
    # session, user, the two permission reads; the count; the page of records with their customers
    with django_assert_num_queries(6):
        page = client.get("/console/access/", {"actor": "agent1"})
    customer_page = client.get(f"/console/customers/{customer.pk}/").content.decode()
    client.force_login(UserFactory(role="agent"))
    refused = client.get("/console/access/")
    agent_view = client.get(f"/console/customers/{customer.pk}/").content.decode()

    assert page.status_code == 200 and page.context["page"].paginator.count == 10
    assert "Who accessed this data" in customer_page
    assert refused.status_code == 403
    assert "Who accessed this data" not in agent_view


def test_the_export_tells_the_customer_who_accessed_their_data(client):
    customer = CustomerFactory()
    client.force_login(UserFactory(username="alex", role="agent"))
    client.get(f"/console/customers/{customer.pk}/")

    data = client.get(f"/console/customers/{customer.pk}/export/").json()

    records = {(r["actor"], r["action"]) for r in data["customers"]["access_records"]}
    assert records == {("alex", "viewed"), ("alex", "exported")}  # the export itself included
