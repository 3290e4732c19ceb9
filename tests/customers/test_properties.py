"""Properties of where a customer lives as the store sends it (POST /api/v1/customers/): any country and
city at all are stored as read (the country as its upper-case ISO code) or refused with the field named,
never a 500."""

import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from customers.models import Customer
from tests.properties import rolled_back

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
CITY_LENGTH = 100

values = st.one_of(
    st.text(max_size=12),
    st.text(min_size=30, max_size=40).map(lambda text: text * 3),  # around the city's length
    st.sampled_from(
        ["de", " GB ", "DE\n", "D3", "ÄÖ", "DEU", "", "\x00", "Lyon\x00", "caf\ud800", "São Paulo"]
    ),
    st.integers(min_value=-1000, max_value=10**6),
    st.none(),
    st.booleans(),
    st.lists(st.text(max_size=2), max_size=1),
)


def plain_reading(name: str, value):
    """What a plain reading of the rules stores for this field, or None when it must be refused."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if "\x00" in text or any("\ud800" <= character <= "\udfff" for character in text):
        return None
    if name == "country":
        return text.upper() if not text or re.fullmatch("[A-Za-z]{2}", text) else None
    return text if len(text) <= CITY_LENGTH else None


@settings(max_examples=40)
@given(country=st.none() | values, city=st.none() | values)
@example(country="de", city="Zürich ")
@example(country="D E", city="x" * 101)
def test_a_country_and_a_city_are_stored_as_read_or_refused_naming_the_field(api, country, city):
    sent = {name: value for name, value in (("country", country), ("city", city)) if value is not None}
    expected = {name: plain_reading(name, value) for name, value in sent.items()}

    with rolled_back():
        # when the store sends a customer with any country and city
        response = api.generic(
            "POST",
            URL,
            json.dumps({"external_id": "C-1", "email": "ada@mail.example", **sent}),
            content_type="application/json",
        )

        # then exactly the fields that break the rules are refused, by name
        refused = {name for name, value in expected.items() if value is None}
        if refused:
            assert response.status_code == 400, response.content
            assert set(response.json()) == refused, response.json()
            assert not Customer.objects.exists()
            return

        # or else the customer is stored with them as read, and the answer says the same
        assert response.status_code == 201, response.content
        customer = Customer.objects.get()
        for name, value in expected.items():
            assert getattr(customer, name) == value
            assert response.json()[name] == value
