"""Hostile input on the customers API: every bad request gets a 4xx naming what was wrong, never a 500,
and leaves nothing behind (CONTRACT.md, REST API: errors)."""

import http.client
import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from customers.models import Customer, CustomerIdentity, Tag
from lifecycle.models import Event
from tests.factories import CustomerFactory, TokenFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
JSON = "application/json"
# Enough to identify a customer: on its own this payload is accepted (test_the_base_payload_is_accepted),
# so each case below fails only because of what it changes.
BASE = {"external_id": "E-1", "email": "ada@shop.example"}


def _post(api, body: bytes, content_type: str = JSON, **extra):
    return api.generic("POST", URL, body, content_type=content_type, **extra)


def _with(**fields) -> bytes:
    return json.dumps({**BASE, **fields}).encode()


def _row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Customer, CustomerIdentity, Tag, Event)}


def _assert_nothing_written():
    assert _row_counts() == {"Customer": 0, "CustomerIdentity": 0, "Tag": 0, "Event": 0}


def test_the_base_payload_is_accepted(api):
    # given the payload every hostile case starts from; when it is sent as it is
    response = _post(api, _with())
    # then it creates the customer, so a refusal below is the hostile part's doing
    assert response.status_code == 201, response.json()
    assert Customer.objects.count() == 1


# --- POST customers/: the body ----------------------------------------------------------------------

MAX_LENGTHS = {
    "external_id": 100,
    "phone": 32,
    "first_name": 150,
    "last_name": 150,
    "acquisition_channel": 50,
    "marketing_opt_in_source": 50,
    "city": 100,
}
STRING_FIELDS = [*MAX_LENGTHS, "email", "country"]

MALFORMED = [
    pytest.param(b'{"external_id": ', "body", id="truncated-json"),
    pytest.param(b'{"external_id": "E-1",}', "body", id="trailing-comma"),
    pytest.param(b"{'external_id': 'E-1'}", "body", id="single-quotes"),
    pytest.param(b'{"external_id": "\xff\xfe"}', "body", id="invalid-utf8"),
    pytest.param(json.dumps([BASE]).encode(), "non_field_errors", id="array-not-object"),
    pytest.param(b'"E-1"', "non_field_errors", id="string-not-object"),
    pytest.param(b"42", "non_field_errors", id="number-not-object"),
    pytest.param(b"null", "non_field_errors", id="null-not-object"),
    pytest.param(b"[" * 100_000, "body", id="100000-nested-arrays"),
    pytest.param(b'{"a": ' * 100_000, "body", id="100000-nested-objects"),
    pytest.param(b'{"external_id": ' + b"9" * 5000 + b"}", "body", id="5000-digit-integer"),
    pytest.param(b'{"external_id": "E-1", "first_name": 1e400}', "body", id="float-overflowing-to-inf"),
    pytest.param(b'{"external_id": "E-1", "first_name": NaN}', "body", id="NaN"),
    pytest.param(b'{"external_id": "E-1", "first_name": Infinity}', "body", id="Infinity"),
    pytest.param(b'{"external_id": "E-1", "first_name": -Infinity}', "body", id="minus-Infinity"),
]

WRONG_TYPES = [
    pytest.param({"marketing_opt_in": "maybe"}, "marketing_opt_in", id="bool-as-word"),
    pytest.param({"marketing_opt_in": [True]}, "marketing_opt_in", id="bool-as-list"),
    pytest.param({"marketing_opt_in": None}, "marketing_opt_in", id="bool-as-null"),
    pytest.param({"registered_at": "yesterday"}, "registered_at", id="datetime-as-word"),
    pytest.param({"registered_at": 1_700_000_000}, "registered_at", id="datetime-as-epoch"),
    pytest.param({"registered_at": {"year": 2026}}, "registered_at", id="datetime-as-object"),
    pytest.param(
        {"registered_at": "9999-12-31T23:59:59-05:00"}, "registered_at", id="datetime-past-year-9999"
    ),
    pytest.param(
        {"marketing_opt_in_at": "0001-01-01T00:00:00+05:00"}, "marketing_opt_in_at", id="before-year-1"
    ),
    pytest.param({"tags": "vip"}, "tags", id="tags-as-string"),
    pytest.param({"tags": {"vip": True}}, "tags", id="tags-as-object"),
    pytest.param({"tags": [["vip"]]}, "tags", id="tags-nested-list"),
    pytest.param({"tags": [None]}, "tags", id="tags-null-item"),
    pytest.param({"tags": None}, "tags", id="tags-as-null"),
    pytest.param({"first_name": json.loads("[" * 900 + "]" * 900)}, "first_name", id="900-nested-lists"),
    pytest.param({"external_id": True}, "external_id", id="id-as-bool"),
    pytest.param({"email": None}, "email", id="email-as-null"),
    *(pytest.param({name: {"value": "x"}}, name, id=f"{name}-as-object") for name in STRING_FIELDS),
    *(pytest.param({name: ["x"]}, name, id=f"{name}-as-list") for name in STRING_FIELDS),
]

OVER_LONG = [
    *(pytest.param({name: "1" * (n + 1)}, name, id=f"{name}-over-{n}") for name, n in MAX_LENGTHS.items()),
    pytest.param({"email": "a" * 245 + "@shop.example"}, "email", id="email-over-254"),
    pytest.param({"country": "DEU"}, "country", id="country-three-letters"),
    pytest.param({"tags": [f"tag{i}" for i in range(51)]}, "tags", id="51-tags"),
    pytest.param({"tags": ["x" * 51]}, "tags", id="tag-over-50"),
]

BAD_CHARACTERS = [
    *(pytest.param({name: "ab\x00"}, name, id=f"NUL-in-{name}") for name in STRING_FIELDS),
    pytest.param({"tags": ["vip\x00"]}, "tags", id="NUL-in-tag"),
    # A lone surrogate is valid JSON (\ud800) but no database can store it as UTF-8.
    pytest.param({"first_name": "\ud800"}, "first_name", id="lone-surrogate"),
    pytest.param({"tags": ["\udfff"]}, "tags", id="lone-surrogate-in-tag"),
]

BAD_VALUES = [
    pytest.param({"email": "not-an-email"}, "email", id="email-without-at"),
    pytest.param({"email": "ada@"}, "email", id="email-without-domain"),
    pytest.param({"email": "ada@@shop.example"}, "email", id="email-two-ats"),
    pytest.param({"country": "Deutschland"}, "country", id="country-name"),
    pytest.param({"country": "D1"}, "country", id="country-with-digit"),
    pytest.param({"country": "ÄÖ"}, "country", id="country-non-ascii"),
    pytest.param({"phone": "call me"}, "phone", id="phone-words"),
    pytest.param({"phone": "12345"}, "phone", id="phone-five-digits"),
    pytest.param({"phone": "1234567890123456"}, "phone", id="phone-sixteen-digits"),
    pytest.param({"phone": "+49+1512345678"}, "phone", id="phone-two-pluses"),
    pytest.param({"external_id": None, "email": ""}, "external_id", id="no-identifier"),
    pytest.param({"external_id": "   ", "email": ""}, "external_id", id="blank-identifier"),
]


@pytest.mark.parametrize(("body", "field"), MALFORMED)
def test_a_malformed_body_is_a_400_naming_the_problem(api, body, field):
    # given a body that is not a JSON object a customer can be read from; when it is posted
    response = _post(api, body)
    # then the answer is a 400 under a field key, and nothing was written
    assert response.status_code == 400
    assert field in response.json()
    _assert_nothing_written()


@pytest.mark.parametrize(("fields", "field"), WRONG_TYPES + OVER_LONG + BAD_CHARACTERS + BAD_VALUES)
def test_a_bad_field_is_a_400_naming_that_field(api, fields, field):
    # given the base payload with one field made hostile; when it is posted
    response = _post(api, _with(**fields))
    # then the answer is a 400 naming that field, and nothing was written
    assert response.status_code == 400, response.json()
    assert field in response.json()
    _assert_nothing_written()


def test_a_phone_refused_by_the_service_not_the_serializer_is_a_400(api):
    # given a phone the serializer lets through and the service's normalisation refuses (three digits)
    body = _with(phone="(0) 12", tags=["vip"], marketing_opt_in=True)
    # when it is posted
    response = _post(api, body)
    # then the refusal names the phone, and neither the customer, its tags nor its consent were written
    assert response.status_code == 400
    assert "phone" in response.json()
    _assert_nothing_written()


def test_a_conflict_found_after_the_customer_row_was_written_rolls_the_whole_upsert_back(api):
    # given a customer who owns a phone number
    assert _post(api, _with(phone="+491511234567")).status_code == 201
    before = _row_counts()
    # when a new customer is sent with that phone: its row is saved before the phone is found taken
    response = _post(
        api,
        json.dumps(
            {"external_id": "E-2", "email": "bob@shop.example", "phone": "+491511234567", "tags": ["vip"]}
        ).encode(),
    )
    # then the answer is a 409 naming the phone, and not a trace of the new customer is left
    assert response.status_code == 409
    assert "phone" in response.json()
    assert not Customer.objects.filter(external_id="E-2").exists()
    assert _row_counts() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
    ],
)
def test_a_body_that_is_not_json_is_a_415(api, content_type):
    # given a valid customer sent under another media type; when it is posted
    response = _post(api, _with(), content_type=content_type)
    # then the answer is 415 and nothing was written
    assert response.status_code == 415
    assert "detail" in response.json()
    _assert_nothing_written()


# --- POST customers/: the size of the body ----------------------------------------------------------

LIMIT = 10_000


@pytest.fixture
def small_upload_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    return LIMIT


def _padded(size: int) -> bytes:
    """A customer the API would accept, padded with an ignored field to `size` bytes: a refusal of it
    can only be about its size."""
    empty = _with(pad="")
    return _with(pad="x" * (size - len(empty)))


def test_a_body_as_large_as_the_limit_is_accepted(api, small_upload_limit):
    # given a valid body exactly as large as the limit; when it is posted; then it is accepted
    response = _post(api, _padded(small_upload_limit))
    assert response.status_code == 201


@pytest.mark.parametrize(
    "content_length",
    [
        pytest.param(None, id="honest"),
        # int() reads these the way Django and DRF do, though they are not plain digits.
        pytest.param(f" {LIMIT * 2}", id="leading-space"),
        pytest.param(f"+{LIMIT * 2}", id="plus-sign"),
    ],
)
def test_a_body_over_the_limit_is_a_413(api, small_upload_limit, content_length):
    # given a valid body twice the limit, with its Content-Length spelt as given
    extra = {} if content_length is None else {"CONTENT_LENGTH": content_length}
    # when it is posted
    response = _post(api, _padded(small_upload_limit * 2), **extra)
    # then the answer is 413 in the API's JSON shape, and nothing was written
    assert response.status_code == 413
    assert response["Content-Type"] == JSON
    assert "detail" in response.json()
    _assert_nothing_written()


def test_a_content_length_that_understates_the_body_cuts_it_short(api, small_upload_limit):
    # given a large body declared as 100 bytes: the server reads 100 bytes and not one more
    response = _post(api, _padded(small_upload_limit * 2), CONTENT_LENGTH="100")
    # then what was read is not JSON: a 400 about the body, nothing written
    assert response.status_code == 400
    assert "body" in response.json()
    _assert_nothing_written()


def _http(live_server, *, body_parts, headers: dict[str, str]):
    """A POST over a real socket, writing the headers as given and the body in parts, so the request can
    lie about its length in ways the test client cannot."""
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.putrequest("POST", URL, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        for part in body_parts:
            connection.send(part)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())
    finally:
        connection.close()


def _chunked(body: bytes, size: int = 4096):
    for start in range(0, len(body), size):
        part = body[start : start + size]
        yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("framing", "status", "field"),
    [
        pytest.param("honest", 413, "detail", id="honest-content-length"),
        # The server must not wait for the rest of a body it will refuse anyway.
        pytest.param("overstated", 413, "detail", id="content-length-overstates-the-body"),
        # Django reads a WSGI body only up to its Content-Length; a chunked body has none, so it is never
        # read at all and the request arrives empty. Refused all the same, nothing written.
        pytest.param("chunked", 400, "external_id", id="chunked-without-content-length"),
    ],
)
def test_a_body_over_the_limit_over_real_http_is_refused(
    live_server, integration_token, small_upload_limit, framing, status, field
):
    # given a valid body twice the limit, framed as given, over a real HTTP connection
    body = _padded(small_upload_limit * 2)
    headers = {
        "Host": "127.0.0.1",
        "Content-Type": JSON,
        "Authorization": f"Token {integration_token.key}",
    }
    if framing == "honest":
        headers["Content-Length"], parts = str(len(body)), [body]
    elif framing == "overstated":
        headers["Content-Length"], parts = "999999999", [body[:100]]
    else:
        headers["Transfer-Encoding"], parts = "chunked", list(_chunked(body))
    # when it is posted
    answer_status, content_type, answer = _http(live_server, body_parts=parts, headers=headers)
    # then it is refused in the API's JSON shape, and nothing was written
    assert answer_status == status
    assert content_type == JSON
    assert field in answer
    _assert_nothing_written()


# --- Who may call -----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-token"),
        pytest.param("Token 0000000000000000000000000000000000000000", id="unknown-token"),
        pytest.param("Token", id="empty-token"),
        pytest.param("Token a b", id="token-with-spaces"),
        pytest.param("Bearer abc", id="other-scheme"),
    ],
)
def test_a_caller_without_a_valid_token_is_a_401(client, method, authorization):
    # given a request without a usable token
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    # when it asks for or sends a customer
    if method == "get":
        response = client.get(URL, **extra)
    else:
        response = client.post(URL, _with(), content_type=JSON, **extra)
    # then the answer is 401, with the scheme to use, and nothing was written
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["WWW-Authenticate"] == "Token"
    _assert_nothing_written()


@pytest.mark.parametrize(
    ("role", "method", "status"),
    [
        pytest.param(None, "get", 403, id="no-role-reads"),
        pytest.param(None, "post", 403, id="no-role-writes"),
        # A marketer may read customers but not create them.
        pytest.param("marketer", "get", 200, id="marketer-reads"),
        pytest.param("marketer", "post", 403, id="marketer-writes"),
    ],
)
def test_a_token_without_the_permission_is_a_403(client, role, method, status):
    # given a valid token of a user whose role does not allow the request
    token = TokenFactory(user=UserFactory(role=role))
    auth = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    # when it asks for or sends a customer
    if method == "get":
        response = client.get(URL, **auth)
    else:
        response = client.post(URL, _with(), content_type=JSON, **auth)
    # then only what the role allows is answered, and nothing was written
    assert response.status_code == status
    assert ("results" if status == 200 else "detail") in response.json()
    _assert_nothing_written()


def test_a_caller_over_its_rate_is_a_429(api, integration_token, settings, monkeypatch):
    # given a rate of three requests a minute for this user
    rates = {"anon": "3/minute", "user": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF copies the rates onto the throttle class when rest_framework.throttling is first imported, so
    # once any earlier test has imported it the settings alone no longer reach it.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    # Only this user's key: clearing the whole cache would, on Redis, flush the database the Celery
    # broker shares with it.
    throttle_key = f"throttle_user_{integration_token.user_id}"
    cache.delete(throttle_key)
    try:
        allowed = [api.get(URL).status_code for _ in range(3)]
        # when it asks once more, and then sends a customer
        refused_read = api.get(URL)
        refused_write = _post(api, _with())
    finally:
        cache.delete(throttle_key)
    # then the first three are answered, the rest are 429 saying when to retry, and nothing was written
    assert allowed == [200, 200, 200]
    for response in (refused_read, refused_write):
        assert response.status_code == 429
        assert "detail" in response.json()
        assert int(response["Retry-After"]) > 0
    _assert_nothing_written()


# --- GET customers/ and customers/{id}/timeline/ ----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"stage": "vip"}, "stage", id="unknown-stage"),
        pytest.param({"stage": "PROSPECT"}, "stage", id="stage-in-capitals"),
        pytest.param({"stage": "\x00"}, "stage", id="NUL-stage"),
        pytest.param({"email": "a\x00@shop.example"}, "email", id="NUL-in-email"),
        pytest.param({"external_id": "a\x00"}, "external_id", id="NUL-in-external-id"),
        pytest.param({"external_id": "x" * 101}, "external_id", id="external-id-over-100"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, query, field):
    # given a customer to find; when the list is filtered with a hostile value
    CustomerFactory()
    response = api.get(URL, query)
    # then the answer is a 400 naming the filter
    assert response.status_code == 400
    assert field in response.json()


def test_a_filter_value_that_matches_nothing_is_an_empty_page(api):
    # given a customer; when the list is filtered by a very long or undecodable email
    CustomerFactory()
    long_email = api.get(URL, {"email": "a" * 5000})
    undecodable = api.get(f"{URL}?email=%ED%A0%80%FF")
    # then both are empty pages, not errors
    for response in (long_email, undecodable):
        assert response.status_code == 200
        assert response.json()["count"] == 0


@pytest.mark.parametrize("page", ["2", "0", "-1", "abc", "1e400", str(10**30)])
@pytest.mark.parametrize("path", ["", "{id}/timeline/"])
def test_a_page_that_does_not_exist_is_a_404(api, path, page):
    # given one customer, so one page of customers and one page of timeline
    customer = CustomerFactory()
    # when a page past the end, or no page at all, is asked for
    response = api.get(URL + path.format(id=customer.pk), {"page": page})
    # then the answer is 404
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("100000", 200), (str(10**30), 200), ("201", 200), ("-5", 50), ("0", 50), ("abc", 50), ("1e9", 50)],
)
def test_page_size_is_capped_and_nonsense_falls_back_to_the_default(api, page_size, expected):
    # given more customers than the largest page
    Customer.objects.bulk_create(
        Customer(external_id=f"P-{i}", registered_at=datetime(2026, 1, 1, tzinfo=UTC)) for i in range(201)
    )
    # when a page of an absurd size is asked for
    response = api.get(URL, {"page_size": page_size})
    # then it holds at most 200 customers, the default 50 when the size is not a positive number
    assert response.status_code == 200
    assert len(response.json()["results"]) == expected


@pytest.mark.parametrize("customer_id", ["abc", "1.5", "0x1", "-1", "0", str(10**30), "%20", "1%00"])
@pytest.mark.parametrize("suffix", ["", "timeline/"])
def test_an_id_that_is_not_a_customer_is_a_404(api, customer_id, suffix):
    # given a customer; when an id that is not a stored customer's is asked for
    CustomerFactory()
    response = api.get(f"{URL}{customer_id}/{suffix}")
    # then the answer is 404
    assert response.status_code == 404
    assert "detail" in response.json()
