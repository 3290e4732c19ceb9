"""Properties of the shipping address the store sends with an order (POST /api/v1/orders/), over any
address parts at all: accepted exactly when each part is text the fields can hold, and then stored and
read back as sent (trimmed, unknown parts left out); otherwise refused with the part named, never a 500."""

import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orders.models import Order
from tests.orders.factories import OrderPayloadFactory
from tests.properties import rolled_back

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"
# The parts of an address and the most characters each holds.
LENGTHS = {
    "name": 200,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "phone": 32,
}
COUNTRY = "country"

part_values = st.one_of(
    st.text(max_size=40),
    st.text(max_size=3).map(lambda text: f"  {text}\t\n"),
    st.text(min_size=15, max_size=40).map(lambda text: text * 6),  # past every part's length, or just under
    st.sampled_from(
        ["", " ", "\x00", "Straße 1\x00", "caf\ud800", "\u200b", "Flat 2\r\n3 Mill Lane", "😀" * 20]
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=1),
)
countries = st.one_of(
    st.text(max_size=4),
    st.sampled_from(
        ["GB", "de", " fr ", "DE\n", "D3", "ÄÖ", "DEU", "", "ǅǅ", "\u0130\u0131", "\uff27\uff22"]
    ),
    part_values,
)
addresses = st.dictionaries(
    st.sampled_from([*LENGTHS, "unknown", "__proto__", "Line1"]), part_values, max_size=6
).flatmap(
    lambda address: st.one_of(st.just(address), countries.map(lambda country: {**address, COUNTRY: country}))
)


def plain_reading(address) -> dict | None:
    """The address as a plain reading of the rules stores it, or None when a part must be refused: each
    part is text (a number is read as its digits), trimmed, at most its length, with no NUL or lone
    surrogate; the country is two Latin letters; parts of no known name are left out."""
    stored = {}
    for name, value in address.items():
        if name not in (*LENGTHS, COUNTRY):
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None
        text = str(value).strip()
        if "\x00" in text or any("\ud800" <= character <= "\udfff" for character in text):
            return None
        if name == COUNTRY:
            if text and not re.fullmatch("[A-Za-z]{2}", text):
                return None
        elif len(text) > LENGTHS[name]:
            return None
        stored[name] = text
    return stored


def post(api, payload):
    return api.generic("POST", URL, json.dumps(payload), content_type="application/json")


@settings(max_examples=40)
@given(first=addresses, second=st.none() | addresses)
@example(first={"line1": "x" * 201}, second=None)
@example(first={"city": "Zürich ", "country": "ch"}, second={"line1": "1 Harbour Road"})
@example(first={"postal_code": 12345, "phone": "\x00"}, second=None)
def test_an_address_is_stored_and_read_back_as_sent_or_refused_naming_the_part(api, first, second):
    payload = OrderPayloadFactory(shipping_address=first)
    with rolled_back():
        # when the store sends an order with any address at all
        created = post(api, payload)

        # then it is refused with the part named exactly when a part breaks the rules, never a 500
        expected = plain_reading(first)
        if expected is None:
            assert created.status_code == 400, created.content
            assert set(created.json()) == {"shipping_address"}, created.json()
            assert all(name in first for name in created.json()["shipping_address"])
            assert not Order.objects.exists()
            return
        assert created.status_code == 201, created.content

        # or else it is stored as read, and reads back the same in the answer and in the order's page
        order = Order.objects.get()
        assert order.shipping_address == expected
        assert created.json()["shipping_address"] == expected
        assert api.get(f"{URL}{order.pk}/").json()["shipping_address"] == expected

        # and sending the order again with another address replaces it whole; without one keeps it
        again = post(api, {**payload, "shipping_address": second} if second is not None else payload)
        replaced = plain_reading(second) if second is not None else expected
        if replaced is None:
            assert again.status_code == 400
            replaced = expected
        else:
            assert again.status_code == 200, again.content
        order.refresh_from_db()
        assert order.shipping_address == replaced
