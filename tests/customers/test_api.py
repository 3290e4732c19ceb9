from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from lifecycle.models import Event
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_upsert_creates_then_updates_by_external_id(api):
    # given a store that sends a new customer
    payload = {
        "external_id": "S-1",
        "email": "Ada@Example.COM",
        "first_name": "Ada",
        "registered_at": "2026-11-01T10:00:00Z",
        "marketing_opt_in": True,
        "country": "de",
    }
    # when it is sent, then sent again with a change
    first = api.post(URL, payload)
    second = api.post(URL, {**payload, "last_name": "Lovelace"})
    # then one customer exists, created once and updated once
    assert first.status_code == 201, first.data
    assert second.status_code == 200
    assert first.data["id"] == second.data["id"]
    assert first.data["email"] == "ada@example.com"
    assert first.data["country"] == "DE"
    assert first.data["lifecycle_stage"] == "prospect"
    assert second.data["last_name"] == "Lovelace"
    assert Customer.objects.count() == 1
    kinds = list(Event.objects.order_by("id").values_list("kind", "occurred_at"))
    assert kinds == [
        ("registered", datetime(2026, 11, 1, 10, tzinfo=UTC)),
        ("subscribed", kinds[1][1]),
    ]


def test_upsert_by_email_finds_the_customer_whatever_the_case(api):
    created = api.post(URL, {"email": "bob@shop.example"})
    linked = api.post(URL, {"external_id": "S-2", "email": "BOB@shop.example"})
    assert created.status_code == 201
    assert linked.status_code == 200
    assert linked.data["external_id"] == "S-2"
    assert Customer.objects.count() == 1


def test_email_of_another_customer_is_a_conflict(api):
    api.post(URL, {"external_id": "S-1", "email": "one@shop.example"})
    response = api.post(URL, {"external_id": "S-2", "email": "one@shop.example"})
    assert response.status_code == 409
    assert "email" in response.data
    assert Customer.objects.count() == 1


def test_list_filters_by_email_external_id_and_stage(api):
    CustomerFactory(email="x@shop.example", external_id="X")
    CustomerFactory(email="y@shop.example", external_id="Y", lifecycle_stage="loyal")
    assert [c["external_id"] for c in api.get(URL, {"email": "X@SHOP.example"}).data["results"]] == ["X"]
    assert [c["external_id"] for c in api.get(URL, {"external_id": "Y"}).data["results"]] == ["Y"]
    assert [c["external_id"] for c in api.get(URL, {"stage": "loyal"}).data["results"]] == ["Y"]
    unknown = api.get(URL, {"stage": "vip"})
    assert unknown.status_code == 400
    assert "stage" in unknown.data


def test_detail_carries_the_summary(api):
    customer = CustomerFactory(orders_count=2, total_spent="120.50")
    data = api.get(f"{URL}{customer.pk}/").data
    assert data["orders_count"] == 2
    assert data["total_spent"] == "120.50"
    assert data["lifecycle_stage"] == "prospect"
    assert api.get(f"{URL}999999/").status_code == 404


def test_timeline_is_newest_first(api):
    response = api.post(
        URL, {"external_id": "T-1", "email": "t@shop.example", "registered_at": "2025-01-01T00:00:00Z"}
    )
    customer = Customer.objects.get(pk=response.data["id"])
    Event.objects.create(
        customer=customer,
        kind="order_placed",
        occurred_at=datetime(2025, 2, 1, tzinfo=UTC),
        summary="Order #1",
    )
    page = api.get(f"{URL}{customer.pk}/timeline/").data
    assert page["count"] == 2
    assert [e["kind"] for e in page["results"]] == ["order_placed", "registered"]
    assert set(page["results"][0]) == {"id", "kind", "occurred_at", "summary", "data"}


def test_anonymous_and_unprivileged_callers_are_refused(client, django_user_model):
    assert client.get(URL).status_code in (401, 403)
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get(URL).status_code == 403


def _count_queries(api, url):
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow(api):
    CustomerFactory.create_batch(3)
    few = _count_queries(api, URL)
    CustomerFactory.create_batch(30)
    # token + user, user permissions, group permissions, count, page, tags prefetch
    assert _count_queries(api, URL) == few == 6


def test_timeline_query_count_does_not_grow(api):
    customer = CustomerFactory()
    for i in range(3):
        Event.objects.create(customer=customer, kind="note", occurred_at=datetime(2025, 1, 1 + i, tzinfo=UTC))
    few = _count_queries(api, f"{URL}{customer.pk}/timeline/")
    Event.objects.bulk_create(
        Event(customer=customer, kind="note", occurred_at=datetime(2025, 3, 1, tzinfo=UTC)) for _ in range(40)
    )
    # token + user, user permissions, group permissions, customer, count, page
    assert _count_queries(api, f"{URL}{customer.pk}/timeline/") == few == 6
