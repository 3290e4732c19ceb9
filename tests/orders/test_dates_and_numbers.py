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
