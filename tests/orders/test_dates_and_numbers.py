"""Dates a shop cannot mean are refused at the door, and odd order numbers never reach the database."""

import pytest

from orders.models import Order
from orders.selectors import order_for_tracking

pytestmark = pytest.mark.django_db


def _order(**overrides):
    return {
        "external_id": "o-1",
        "number": "1",
        "customer": {"email": "d@mail.example"},
        "placed_at": "2026-05-01T10:00:00Z",
        "currency": "EUR",
        "total": "10.00",
        "items": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "10.00"}],
        **overrides,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("placed_at", "9999-12-31T23:00:00Z"),
        ("placed_at", "0001-01-01T00:00:00Z"),
        ("delivered_at", "9999-12-31T23:00:00Z"),
        ("promised_delivery_date", "9999-12-31"),
    ],
)
def test_dates_outside_the_years_a_shop_can_mean_are_a_400(api, field, value):
    response = api.post("/api/v1/orders/", _order(status="delivered", **{field: value}))
    assert response.status_code == 400
    assert field in response.data
    assert not Order.objects.exists()


def test_customer_dates_are_bounded_too(api):
    response = api.post(
        "/api/v1/customers/", {"email": "x@mail.example", "registered_at": "9999-01-01T00:00:00Z"}
    )
    assert response.status_code == 400
    assert "registered_at" in response.data


def test_an_order_number_with_a_nul_finds_nothing():
    assert order_for_tracking(number="100\x00", among=[1]) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "JPY", "total": "1000.50"}, "total"),
        (
            {
                "currency": "JPY",
                "total": "1000",
                "items": [{"sku": "A", "name": "A", "quantity": 1, "unit_price": "999.99"}],
            },
            "items",
        ),
    ],
)
def test_amounts_finer_than_the_currency_allows_are_refused_not_rounded(api, overrides, field):
    response = api.post("/api/v1/orders/", _order(**overrides))
    assert response.status_code == 400
    assert field in response.data
    assert (
        api.post(
            "/api/v1/orders/",
            _order(
                currency="JPY",
                total="1000",
                items=[{"sku": "A", "name": "A", "quantity": 1, "unit_price": "1000"}],
            ),
        ).status_code
        == 201
    )


def test_an_order_edited_before_shipping_takes_its_new_items_and_total(api):
    from customers.models import Customer
    from lifecycle.models import Event

    created = api.post("/api/v1/orders/", _order())
    edited = api.post(
        "/api/v1/orders/",
        _order(
            total="25.00",
            items=[
                {"sku": "A", "name": "A", "quantity": 1, "unit_price": "10.00"},
                {"sku": "B", "name": "B", "quantity": 1, "unit_price": "15.00"},
            ],
        ),
    )
    assert (created.status_code, edited.status_code) == (201, 200)
    assert edited.data["total"] == "25.00"
    assert sorted(i["sku"] for i in edited.data["items"]) == ["A", "B"]
    assert Customer.objects.get().total_spent == 25
    assert Event.objects.filter(kind="order_edited").count() == 1
    # once something has shipped, the contents are history
    api.post(
        f"/api/v1/orders/{created.data['id']}/shipments/",
        {"external_id": "s-1", "carrier": "UPS", "shipped_at": "2026-05-02T10:00:00Z"},
    )
    refused = api.post("/api/v1/orders/", _order(total="5.00"))
    assert refused.status_code == 409
    assert "items" in refused.data
    assert Customer.objects.get().total_spent == 25
