"""The API fuzzed from its own OpenAPI schema (CONTRACT.md, REST API): schemathesis reads /api/schema/ from
the app, generates requests for every operation under /api/v1/, valid and invalid ones, sends them to the
app in-process and checks each answer: never a 500, and only status codes, media types and bodies the
schema documents. The integration token is the caller; sent without it (or with a made-up one), every
operation but the public help centre answers 401.

Deterministic (derandomized, no example database): a failure here fails the same way on every run and in
CI, and prints the request as a curl command to replay against a running server.

The requests of one operation share the test's transaction, and so its rows: a second request with the
same external_id is an update, as it would be in production, and the ids of rows created earlier are
offered to later requests.
"""

import re
from email.utils import format_datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import checks

from carecrm.wsgi import application
from customers.models import Customer
from knowledgebase.models import Article
from orders.models import Cart, Order, Payment, Shipment
from orders.services import payment_upsert
from tests.knowledgebase.factories import ArticleFactory
from tests.orders.track_factories import order_place, shipment_send
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

# The coverage phase is left out: its cases (every boundary and every wrong type of every field, hundreds
# for an order) are fixed when the module is collected, before the test database exists, so their path
# ids name no row and stop at the 404; and their number is not bounded by max_examples. The fuzzing phase
# generates valid and invalid requests alike (its positive and negative modes).
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"deterministic": True, "database": "none"},
        "phases": {"coverage": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG).include(
    path_regex=r"^/api/v1/"
)

# Per operation; with these the file runs in about a minute on two cores.
AS_THE_INTEGRATION = settings(
    max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
# Without credentials every answer is the same refusal: a few requests per operation show it.
WITHOUT_CREDENTIALS = settings(AS_THE_INTEGRATION, max_examples=5)


# --- Rows for the requests to name -----------------------------------------------------------------

ROWS_BY_RESOURCE = {
    "customers": Customer.objects.all(),
    "orders": Order.objects.all(),
    "shipments": Shipment.objects.all(),
    "carts": Cart.objects.all(),
    "kb/articles": Article.objects.all(),
    "tickets": Ticket.objects.all(),
}
SEEDED_CURRENCIES = ["EUR", "JPY"]


@schema.hook("flatmap_path_parameters")
def ids_of_rows_that_exist(context, path_parameters):
    """An integer from the schema alone names no row, so every request would stop at the 404. Offer the
    ids of a few rows that exist (the seeded ones, then what the fuzzing created) beside the generated id,
    so the code past the lookup runs."""
    if not path_parameters or not isinstance(path_parameters.get("id"), int):
        return st.just(path_parameters)
    resource = context.operation.path.removeprefix("/api/v1/").split("/{id}")[0]
    existing = ROWS_BY_RESOURCE[resource].order_by("pk").values_list("pk", flat=True)[:5]
    return st.sampled_from([*existing, path_parameters["id"]]).map(lambda pk: {**path_parameters, "id": pk})


@schema.hook("flatmap_body")
def payments_also_in_the_orders_currency(context, body):
    """A payment in another currency than its order's is refused before the payment code runs, and one of
    the 160 currencies in use is seldom the order's: offer the seeded orders' currencies as well."""
    if not context.operation.path.startswith("/api/v1/orders/{id}/"):
        return st.just(body)
    if not isinstance(body, dict) or "currency" not in body:
        return st.just(body)
    return st.sampled_from([*({**body, "currency": currency} for currency in SEEDED_CURRENCIES), body])


# --- message/rfc822 for the inbound-email endpoint -------------------------------------------------

HEADER_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=60)


@st.composite
def raw_emails(draw) -> bytes:
    """A message as a mail server pipes it: the headers the filing reads, fuzzed, around a fuzzed body,
    so the threading and filing code runs."""
    headers = {
        "From": draw(st.one_of(st.emails(), HEADER_TEXT)),
        "To": draw(st.sampled_from(["care@shop.example", "", "reply+1-00@shop.example"])),
        "Subject": draw(HEADER_TEXT),
        "Date": format_datetime(draw(st.datetimes(timezones=st.timezones()))),
        "Message-ID": draw(st.one_of(st.emails().map("<{}>".format), HEADER_TEXT)),
        "In-Reply-To": draw(st.one_of(st.just(""), st.emails().map("<{}>".format), HEADER_TEXT)),
        "Content-Type": draw(st.sampled_from(["text/plain; charset=utf-8", "text/html", "multipart/mixed"])),
    }
    body = draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=300))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if value)
    return f"{head}\r\n{body}".encode()


# The schema names the media type and says the body is binary; schemathesis has no generator for mail, so
# it is given one: mostly messages, sometimes bytes that are hardly mail at all. (A blank body is refused
# before any parsing; tests/tickets/test_inbound.py covers that.)
schemathesis.openapi.media_type(
    "message/rfc822", st.one_of(raw_emails(), st.binary(max_size=500)).filter(bytes.strip)
)


# --- Fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    """A few of everything an id in a path can name: orders (one shipped and paid, so it can be refunded;
    one in a currency without cents), their customers, a ticket about one of them, a published article
    and a cart."""
    shipped = order_place(number="FZ-1001", email="owner@mail.example")
    shipment_send(shipped)
    payment_upsert(
        order=shipped,
        data={
            "external_id": "fuzz-payment",
            "amount": shipped.total,
            "currency": shipped.currency,
            "method": "card",
            "status": Payment.Status.CAPTURED,
            "occurred_at": shipped.placed_at,
        },
    )
    order_place(number="FZ-1002", email="other@mail.example", currency="JPY", total="3900", items=[JPY_ITEM])
    ticket_open(channel="web", email="owner@mail.example", subject="Hi", body="Hello", order_number="FZ-1001")
    ArticleFactory(status=Article.Status.PUBLISHED)
    Cart.objects.create(
        external_id="fuzz-cart",
        customer=shipped.customer,
        currency="EUR",
        value=1,
        updated_at=shipped.placed_at,
        received_at=shipped.placed_at,
    )


JPY_ITEM = {"sku": "TEA-1", "name": "Sencha", "quantity": 3, "unit_price": "1300", "category": "tea"}


@pytest.fixture
def in_process_requests():
    """The app runs inside the test's transaction. Django closes a connection it finds in a transaction
    when a request starts or ends (a request that left one open is not trusted); its own test client
    disconnects that for the same reason, and so must a WSGI client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# --- Checks ----------------------------------------------------------------------------------------

# Every check schemathesis runs by default (not_a_server_error, status_code_conformance,
# content_type_conformance, response_schema_conformance, response_headers_conformance, ignored_auth,
# positive_data_acceptance, ...) but these. The stateful ones (use_after_free,
# ensure_resource_availability, object_level_authorization) act on sequences of calls only and stay
# silent here.
#
# negative_data_rejection expects every request outside the schema refused. The API reads leniently on
# purpose: a number sent for a text field is read as its digits (stores send numeric ids as numbers), and
# query parameters it does not know or page sizes it cannot read are ignored. Invalid input still meets the
# other checks: no 500, and a documented 4xx.
NOT_FOR_THIS_API = [checks.negative_data_rejection]

# positive_data_acceptance expects whatever the schema allows to be accepted. The schema states types,
# shapes, enumerations, ranges and patterns; a rule beyond those is refused with a 400 naming the field.
# Where such a rule applies the check is off, and the rule is named here.
NO_NUL = "no NUL in text (PostgreSQL cannot store it, so it is refused as input)"
PHONE = "a phone number has 6 to 15 digits"
MINOR_UNIT = "an amount in its currency's minor unit (no cents in JPY)"
RULES_BEYOND_THE_SCHEMA = {
    "POST /api/v1/customers/": [NO_NUL, PHONE, "an IANA time zone"],
    "POST /api/v1/orders/": [
        NO_NUL,
        PHONE,
        MINOR_UNIT,
        "a customer named by external_id exists",
        "skus appear once",
    ],
    "POST /api/v1/carts/": [NO_NUL, PHONE, MINOR_UNIT, "a customer named by external_id exists"],
    "POST /api/v1/orders/{id}/payments/": [NO_NUL, MINOR_UNIT, "the order's currency"],
    "POST /api/v1/orders/{id}/refunds/": [
        NO_NUL,
        "more than zero, and no more than is left paid on the order",
    ],
    "POST /api/v1/orders/{id}/shipments/": [NO_NUL, "items of the order, not more than were ordered"],
    "POST /api/v1/shipments/{id}/events/": [NO_NUL],
    "POST /api/v1/tickets/": [NO_NUL, "a customer named by external_id exists and has an email address"],
    "GET /api/v1/customers/": [NO_NUL],
    "GET /api/v1/orders/": [NO_NUL, "the customer filter names an existing customer"],
}


def checks_not_applicable(operation) -> list:
    beyond_the_schema = operation.label in RULES_BEYOND_THE_SCHEMA
    return [*NOT_FOR_THIS_API, *([checks.positive_data_acceptance] if beyond_the_schema else [])]


# --- The fuzzing -----------------------------------------------------------------------------------


@schema.parametrize()
@AS_THE_INTEGRATION
def test_every_operation_as_the_integration(case, world, in_process_requests, integration_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {integration_token.key}"},
        excluded_checks=checks_not_applicable(case.operation),
    )


@schema.parametrize()
@WITHOUT_CREDENTIALS
def test_every_operation_without_credentials(case, in_process_requests):
    response = case.call_and_validate(excluded_checks=checks_not_applicable(case.operation))
    if not case.operation.path.startswith("/api/v1/kb/") and names_an_object(case):
        assert response.status_code == 401, response.content


def names_an_object(case) -> bool:
    """Whether the path's ids are ones the router hands a view (DRF's lookup pattern). A fuzzed `0.5` is
    read as id 0 in a format `5` that no renderer has, and an empty id matches no route: both are a 404
    before any view asks for credentials."""
    return all(re.fullmatch(r"[^/.]+", str(value)) for value in (case.path_parameters or {}).values())
