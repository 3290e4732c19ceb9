"""POST /api/v1/carts/ and abandonment: a cart left unchanged and not checked out records
`cart_abandoned` once, whatever the ticks."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from lifecycle.models import Event
from orders.carts import carts_abandoned_detect
from orders.models import Cart

pytestmark = pytest.mark.django_db
URL = "/api/v1/carts/"
CHANGED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def cart(**fields) -> dict:
    return {
        "external_id": "cart-1",
        "customer": {"email": "Ana@mail.example"},
        "currency": "EUR",
        "value": "64.80",
        "items": [
            {"sku": "KIT-101", "name": "Cast-iron skillet 28 cm", "quantity": 1, "unit_price": "39.90"},
            {"sku": "TEX-202", "name": "Waffle bath towel", "quantity": 1, "unit_price": "24.90"},
        ],
        "updated_at": CHANGED.isoformat(),
        **fields,
    }


def test_a_cart_is_upserted_by_external_id_and_a_late_retry_changes_nothing(api):
    first = api.post(URL, cart(), format="json")
    newer = api.post(
        URL,
        cart(
            value="39.90", items=cart()["items"][:1], updated_at=(CHANGED + timedelta(minutes=5)).isoformat()
        ),
        format="json",
    )
    late = api.post(URL, cart(), format="json")

    assert (first.status_code, newer.status_code, late.status_code) == (201, 200, 200)
    stored = Cart.objects.get()
    assert str(stored.value) == "39.90" and len(stored.items) == 1
    assert stored.customer.email == "ana@mail.example"


def test_a_cart_left_alone_is_abandoned_once_and_a_checked_out_one_never(api):
    api.post(URL, cart(), format="json")
    api.post(URL, cart(external_id="cart-2", checked_out=True), format="json")

    assert carts_abandoned_detect(now=CHANGED + timedelta(minutes=30)) == "0 abandoned carts"
    assert carts_abandoned_detect(now=CHANGED + timedelta(minutes=61)) == "1 abandoned carts"
    call_command("tick", now=(CHANGED + timedelta(hours=5)).isoformat(), stdout=io.StringIO())

    [event] = Event.objects.filter(kind="cart_abandoned")
    assert event.occurred_at == CHANGED
    assert event.data["value"] == "64.80" and event.data["skus"] == ["KIT-101", "TEX-202"]
    assert Cart.objects.get(external_id="cart-1").abandoned_at == CHANGED + timedelta(minutes=61)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "XXY"}, "currency"),
        ({"value": "-1"}, "value"),
        ({"value": "1.005"}, "value"),
        ({"customer": {}}, "customer"),
        ({"customer": {"external_id": "nobody"}}, "customer"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"items": [{"sku": "X", "name": "X", "quantity": 0, "unit_price": "1"}]}, "items"),
    ],
)
def test_bad_carts_are_a_400_naming_the_field_and_store_nothing(api, change, field):
    response = api.post(URL, cart(**change), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Cart.objects.count() == 0
