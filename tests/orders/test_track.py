"""/track/: the customer's own order pages. Finding an order by number and email, what a wrong pair
gives away (nothing), rate limits, the session grant, what the page shows in how many queries, and the
self-service actions with their refusals."""

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from carecrm import clock, ratelimit
from customers.services import identity_attach
from orders import services
from orders.models import Order, OrderAlert, Return, Shipment
from tests.orders.track_factories import order_deliver, order_place, scans_add, shipment_send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("own_rate_limits")]

CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]+">')


@pytest.fixture
def at(monkeypatch):
    """Set the clock the pages and services read."""

    def set_now(moment: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: moment)

    set_now(datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    return set_now


def look_up(client, number: str, email: str, **extra):
    return client.post("/track/", {"number": number, "email": email}, **extra)


def without_csrf(body: bytes) -> str:
    return CSRF_INPUT.sub("", body.decode())


def signed_in(client, order: Order, email: str):
    answer = look_up(client, order.number, email)
    assert answer.status_code == 302, answer.content.decode()
    return client


# --- Finding an order -------------------------------------------------------------------------------


def test_the_lookup_page_is_a_public_form_without_the_staff_bar(client, at):
    answer = client.get("/track/?number=A-77")

    body = answer.content.decode()
    assert answer.status_code == 200
    assert 'name="number"' in body and 'value="A-77"' in body
    assert 'name="email"' in body
    assert "topbar" not in body and "Console" not in body
    assert "css/public.css" in body


def test_the_right_number_and_email_open_the_order(client, at):
    order = order_place(email="mira@mail.example")

    answer = look_up(client, order.number.lower(), "  Mira@Mail.Example ")

    assert answer.status_code == 302
    assert answer["Location"] == f"/track/{order.number}/"
    page = client.get(answer["Location"])
    assert page.status_code == 200
    assert order.number in page.content.decode()


@pytest.mark.parametrize("number", ["2026/0042", "A 17#b?c", "Nº-5"])
def test_numbers_with_slashes_spaces_and_symbols_work_end_to_end(client, at, number):
    order = order_place(number=number, email="mira@mail.example")

    answer = look_up(client, number, "mira@mail.example")
    page = client.get(answer["Location"])
    problem = client.post(answer["Location"] + "problem/", {"message": "Lid missing"})

    assert page.status_code == 200
    assert page.context["order"] == order
    assert problem.status_code == 302
    assert OrderAlert.objects.filter(order=order, kind=OrderAlert.Kind.PROBLEM_REPORTED).count() == 1


def test_any_email_address_the_customer_is_known_by_opens_the_order(client, at):
    order = order_place(email="mira@mail.example")
    identity_attach(customer=order.customer, kind="email", value="Mira.Work@Office.Example")

    answer = look_up(client, order.number, "mira.work@office.example")

    assert answer.status_code == 302
    assert answer["Location"] == f"/track/{order.number}/"


def test_a_wrong_email_answers_exactly_as_an_unknown_order_number(client, at):
    # Given a number no order has yet
    number, intruder = "T-90001", "someone.else@mail.example"
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = look_up(client, number, intruder)
    # When the store then sends that very order, placed by someone else, and the same pair is tried
    order_place(number=number, email="mira@mail.example")
    with CaptureQueriesContext(connection) as wrong_queries:
        wrong_pair = look_up(client, number, intruder)

    # Then nothing in the answer, nor in the work behind it, tells the two apart
    assert unknown.status_code == wrong_pair.status_code == 200
    assert without_csrf(unknown.content) == without_csrf(wrong_pair.content)
    assert "could not find an order with that number and email address" in wrong_pair.content.decode()
    assert len(unknown_queries) == len(wrong_queries) == 1
    assert "sessionid" not in wrong_pair.cookies


def test_a_wrong_pair_is_generic_for_a_different_unknown_number_too(client, at):
    order = order_place(email="mira@mail.example")

    wrong_pair = look_up(client, order.number, "intruder@mail.example")
    unknown = look_up(client, "NO-SUCH-1", "intruder@mail.example")

    assert wrong_pair.status_code == unknown.status_code == 200
    # The only difference is the number the visitor typed, echoed back in its field.
    assert without_csrf(wrong_pair.content).replace(order.number, "#") == without_csrf(
        unknown.content
    ).replace("NO-SUCH-1", "#")


# --- Rate limits ------------------------------------------------------------------------------------


def test_lookups_from_one_address_are_limited_even_for_the_right_pair(client, at):
    order = order_place(email="mira@mail.example")
    for attempt in range(10):
        assert look_up(client, f"GUESS-{attempt}", "mira@mail.example").status_code == 200

    refused = look_up(client, order.number, "mira@mail.example")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert "too many attempts" in refused.content.decode()
    assert client.get(f"/track/{order.number}/").status_code == 302


def test_wrong_pairs_count_and_the_limit_lifts_when_the_window_has_passed(client, at):
    order = order_place(email="mira@mail.example")
    start = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    at(start)
    for _ in range(10):
        assert look_up(client, order.number, "intruder@mail.example").status_code == 200

    assert look_up(client, order.number, "intruder@mail.example").status_code == 429

    at(start + timedelta(minutes=10))
    assert look_up(client, order.number, "mira@mail.example").status_code == 302


def test_one_order_number_is_limited_across_client_addresses(client, at):
    order = order_place(email="mira@mail.example")
    for host in range(10):
        answer = look_up(client, order.number, f"guess{host}@mail.example", REMOTE_ADDR=f"198.51.100.{host}")
        assert answer.status_code == 200

    refused = look_up(client, order.number.lower(), "guess@mail.example", REMOTE_ADDR="203.0.113.9")

    assert refused.status_code == 429


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, at):
    for attempt in range(10):
        look_up(client, f"GUESS-{attempt}", "x@mail.example", HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}")

    refused = look_up(client, "GUESS-X", "x@mail.example", HTTP_X_FORWARDED_FOR="192.0.2.200")

    assert refused.status_code == 429


def test_the_rate_limit_helper_allows_the_limit_then_refuses_until_the_next_window(at):
    start = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    at(start)

    first = [ratelimit.hit("contact:198.51.100.7", 3, 60) for _ in range(5)]
    at(start + timedelta(seconds=59))
    still_refused = ratelimit.hit("contact:198.51.100.7", 3, 60)
    another_key = ratelimit.hit("contact:198.51.100.8", 3, 60)
    at(start + timedelta(seconds=60))
    next_window = ratelimit.hit("contact:198.51.100.7", 3, 60)

    assert first == [True, True, True, False, False]
    assert (still_refused, another_key, next_window) == (False, True, True)


@pytest.mark.skipif(
    not settings.REDIS_URL, reason="atomic counting is Redis's; the embedded file cache is not"
)
def test_concurrent_attempts_never_exceed_the_limit(at):
    key, barrier = f"burst:{uuid.uuid4().hex}", threading.Barrier(8)

    def attempts():
        barrier.wait()
        return [ratelimit.hit(key, 50, 600) for _ in range(25)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [allowed for batch in pool.map(lambda _: attempts(), range(8)) for allowed in batch]

    assert results.count(True) == 50


def test_forwarded_for_counts_only_behind_declared_proxies(settings, rf):
    request = rf.get("/track/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    assert ratelimit.client_ip(request) == "10.0.0.2"

    settings.CARECRM = {**settings.CARECRM, "TRUSTED_PROXY_HOPS": 1}
    assert ratelimit.client_ip(request) == "203.0.113.5"
    spoofed_only = rf.get("/track/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="")
    assert ratelimit.client_ip(spoofed_only) == "10.0.0.2"


def test_an_ipv6_client_is_counted_by_its_64_block(rf):
    one = rf.get("/track/", REMOTE_ADDR="2001:db8:1:2::1")
    other = rf.get("/track/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    mapped = rf.get("/track/", REMOTE_ADDR="::ffff:192.0.2.4")

    assert ratelimit.client_ip(one) == ratelimit.client_ip(other) == "2001:db8:1:2::/64"
    assert ratelimit.client_ip(mapped) == "192.0.2.4"


# --- The session grant ------------------------------------------------------------------------------


def test_another_orders_page_is_not_reached_by_changing_the_number(client, at):
    mine = order_place(email="mira@mail.example")
    theirs = order_place(email="other@mail.example")
    order_deliver(theirs, delivered_at=datetime(2026, 11, 4, 10, tzinfo=UTC))
    signed_in(client, mine, "mira@mail.example")

    page = client.get(f"/track/{theirs.number}/")
    unknown = client.get("/track/NO-SUCH-1/")
    actions = [
        client.post(f"/track/{theirs.number}/cancel/", {"reason": "x"}),
        client.post(f"/track/{theirs.number}/problem/", {"message": "x"}),
        client.post(
            f"/track/{theirs.number}/return/",
            {
                "kind": "return",
                "resolution": "refund",
                "reason": "x",
                f"quantity_{theirs.items.first().pk}": "1",
            },
        ),
    ]

    assert page.status_code == 302
    assert page["Location"] == f"/track/?number={theirs.number}"
    assert unknown["Location"] == "/track/?number=NO-SUCH-1"
    assert [a.status_code for a in actions] == [302, 302, 302]
    assert not OrderAlert.objects.filter(order=theirs).exists()
    assert not Return.objects.filter(order=theirs).exists()
    assert client.get(f"/track/{mine.number}/").status_code == 200


def test_without_a_lookup_the_page_sends_the_visitor_to_the_form(client, at):
    order = order_place()

    answer = client.get(f"/track/{order.number}/", follow=True)

    assert answer.redirect_chain == [(f"/track/?number={order.number}", 302)]
    assert f'value="{order.number}"' in answer.content.decode()


# --- What the page shows ----------------------------------------------------------------------------


def test_the_page_shows_status_items_money_promise_shipments_returns_and_requests(client, at):
    placed = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    order = order_place(
        email="mira@mail.example",
        payment_method="cod",
        total="70.00",
        promised_delivery_date=datetime(2026, 11, 5).date(),
        gift_wrap=True,
        delivery_slot="Evenings 18-21",
        note="Ring twice <please>",
    )
    shipment_send(
        order,
        carrier="FedEx",
        tracking_number="7712 3456",
        items=[{"sku": "KETTLE-1", "quantity": 1}],
        scans=[
            ("in_transit", placed + timedelta(days=1, hours=2), "Dublin hub", "Departed facility"),
            ("out_for_delivery", placed + timedelta(days=2), "Galway", "With the courier"),
        ],
    )
    shipment_send(order, carrier="Speedy Local Couriers", tracking_number="SLC-9", scans=[])
    services.order_problem_report(order=order, message="The box was open", now=placed + timedelta(days=2))
    at(datetime(2026, 11, 7, 8, 0, tzinfo=UTC))
    signed_in(client, order, "mira@mail.example")

    body = client.get(f"/track/{order.number}/").content.decode()

    assert "Your order is on its way." in body
    assert body.index("step-done") < body.index('aria-current="step"') < body.index("step-todo")
    assert "Placed 2 November 2026" in body
    assert "Enamel kettle" in body and "2 \u00d7 12.50 EUR" in body and "25.00 EUR" in body
    assert "Items</dt><dd>64.00 EUR" in body
    assert "Shipping, taxes and discounts</dt><dd>6.00 EUR" in body
    assert "Total</dt><dd>70.00 EUR" in body
    assert "please have 70.00 EUR ready when the courier arrives" in body
    assert "Running late: we promised it by 5 November 2026" in body
    assert "Evenings 18-21" in body and "Ring twice &lt;please&gt;" in body
    assert "Package 1 of 2" in body and "Package 2 of 2" in body
    assert 'href="https://www.fedex.com/fedextrack/?trknbr=7712%203456"' in body
    assert "Speedy Local Couriers" in body and "SLC-9" in body
    assert body.count("carrier-link") == 1  # no link for a carrier the registry does not know
    assert body.index("With the courier") < body.index("Departed facility")  # newest scan first
    assert "Dublin hub" in body
    assert "You reported a problem" in body and "The box was open" in body
    assert "Cancel this order" not in body  # shipped: too late to cancel


def test_a_delivered_order_says_whether_it_came_on_time(client, at):
    on_time = order_place(email="mira@mail.example", promised_delivery_date=datetime(2026, 11, 6).date())
    order_deliver(on_time, delivered_at=datetime(2026, 11, 6, 15, tzinfo=UTC))
    late = order_place(email="mira@mail.example", promised_delivery_date=datetime(2026, 11, 4).date())
    order_deliver(late, delivered_at=datetime(2026, 11, 6, 15, tzinfo=UTC))
    at(datetime(2026, 11, 8, 8, 0, tzinfo=UTC))
    signed_in(client, on_time, "mira@mail.example")
    signed_in(client, late, "mira@mail.example")

    on_time_page = client.get(f"/track/{on_time.number}/").content.decode()
    late_page = client.get(f"/track/{late.number}/").content.decode()

    assert "Your order was delivered on 6 November 2026." in on_time_page
    assert "Delivered on time (promised by 6 November 2026)." in on_time_page
    assert "Delivered 2 days late (promised by 4 November 2026)." in late_page
    assert "Returns and repairs: until <strong>6 December 2026</strong>" in on_time_page


def _order_with_everything(*, items: int, shipments: int, scans: int, returns: int) -> Order:
    placed = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    order = order_place(
        email="mira@mail.example",
        items=[
            {"sku": f"SKU-{n}", "name": f"Thing {n}", "quantity": 2, "unit_price": "5.00", "category": ""}
            for n in range(items)
        ],
    )
    for n in range(shipments):
        shipment = shipment_send(
            order,
            shipped_at=placed + timedelta(hours=n + 1),
            items=[{"sku": f"SKU-{i}", "quantity": 2} for i in range(items) if i % shipments == n],
        )
        scans_add(shipment, count=scans, start=placed + timedelta(days=1))
        services.tracking_event_add(
            shipment=shipment,
            data={"status": Shipment.Status.DELIVERED, "occurred_at": placed + timedelta(days=3)},
        )
    order.refresh_from_db()
    for n in range(returns):
        services.return_request(
            order=order,
            kind=Return.Kind.RETURN,
            reason="Too small",
            resolution=Return.Resolution.REFUND,
            items=[{"order_item": order.items.all()[n].pk, "quantity": 1}],
            source="test",
            now=placed + timedelta(days=4),
        )
    services.order_problem_report(order=order, message="One was chipped", now=placed + timedelta(days=4))
    return order


def test_the_order_page_takes_the_same_queries_however_much_the_order_holds(client, at):
    small = _order_with_everything(items=1, shipments=1, scans=1, returns=1)
    large = _order_with_everything(items=12, shipments=4, scans=30, returns=6)
    at(datetime(2026, 11, 10, 8, 0, tzinfo=UTC))
    signed_in(client, small, "mira@mail.example")
    signed_in(client, large, "mira@mail.example")

    with CaptureQueriesContext(connection) as small_queries:
        small_page = client.get(f"/track/{small.number}/")
    with CaptureQueriesContext(connection) as large_queries:
        large_page = client.get(f"/track/{large.number}/")

    assert small_page.status_code == large_page.status_code == 200
    assert large_page.content.decode().count('class="event ') == 4 * 31
    # 1 the session, 2 the order with its customer (loyalty points), 3 its items, 4 its shipments,
    # 5 what each carries (with the item), 6 their tracking events, 7 its returns, 8 their items (with the
    # item), 9 its open requests.
    assert len(small_queries) == len(large_queries) == 9, [q["sql"] for q in large_queries]


# --- Returns ----------------------------------------------------------------------------------------


def test_a_customer_starts_a_return_and_gets_its_rma(client, at):
    order = order_deliver(
        order_place(email="mira@mail.example"), delivered_at=datetime(2026, 11, 5, tzinfo=UTC)
    )
    mug = order.items.get(sku="MUG-2")
    signed_in(client, order, "mira@mail.example")
    at(datetime(2026, 11, 8, 8, 0, tzinfo=UTC))

    answer = client.post(
        f"/track/{order.number}/return/",
        {
            "kind": "return",
            "resolution": "refund",
            "reason": "One arrived cracked",
            f"quantity_{mug.pk}": "1",
        },
        follow=True,
    )

    ret = Return.objects.get(order=order)
    assert answer.redirect_chain == [(f"/track/{order.number}/#returns", 302)]
    assert (ret.kind, ret.resolution, ret.reason) == ("return", "refund", "One arrived cracked")
    assert [(line.order_item_id, line.quantity) for line in ret.items.all()] == [(mug.pk, 1)]
    body = answer.content.decode()
    assert f"Your reference is {ret.rma}" in body
    assert body.count(ret.rma) >= 2  # the notice and the returns list
    assert 'Stoneware mug <span class="muted">(up to 1)</span>' in body  # one of the two mugs is left


def test_a_holiday_order_can_still_be_returned_in_january(client, at):
    order = order_place(email="mira@mail.example", placed_at=datetime(2026, 11, 20, 10, tzinfo=UTC))
    order_deliver(order, delivered_at=datetime(2026, 11, 25, 14, tzinfo=UTC))
    kettle = order.items.get(sku="KETTLE-1")
    at(datetime(2027, 1, 20, 9, 0, tzinfo=UTC))
    signed_in(client, order, "mira@mail.example")

    page = client.get(f"/track/{order.number}/").content.decode()
    answer = client.post(
        f"/track/{order.number}/return/",
        {
            "kind": "return",
            "resolution": "replacement",
            "reason": "A gift they have",
            f"quantity_{kettle.pk}": "1",
        },
    )

    assert "Returns and repairs: until <strong>31 January 2027</strong>" in page
    assert answer.status_code == 302
    assert Return.objects.filter(order=order, resolution="replacement").count() == 1


def test_an_autumn_order_cannot_be_returned_after_its_window(client, at):
    order = order_place(email="mira@mail.example", placed_at=datetime(2026, 10, 1, 10, tzinfo=UTC))
    order_deliver(order, delivered_at=datetime(2026, 10, 3, 14, tzinfo=UTC))
    kettle = order.items.get(sku="KETTLE-1")
    at(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    signed_in(client, order, "mira@mail.example")

    page = client.get(f"/track/{order.number}/").content.decode()
    answer = client.post(
        f"/track/{order.number}/return/",
        {"kind": "return", "resolution": "refund", "reason": "Changed my mind", f"quantity_{kettle.pk}": "1"},
    )

    assert "The window for this request closed on 02 November 2026." in page
    assert answer.status_code == 400
    assert "The window for this request closed on 02 November 2026." in answer.content.decode()
    assert not Return.objects.exists()


def test_a_recall_is_accepted_after_the_return_window(client, at):
    order = order_place(email="mira@mail.example", placed_at=datetime(2026, 10, 1, 10, tzinfo=UTC))
    order_deliver(order, delivered_at=datetime(2026, 10, 3, 14, tzinfo=UTC))
    kettle = order.items.get(sku="KETTLE-1")
    at(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    signed_in(client, order, "mira@mail.example")

    answer = client.post(
        f"/track/{order.number}/return/",
        {
            "kind": "recall",
            "resolution": "repair",
            "reason": "Recall notice 2026-14",
            f"quantity_{kettle.pk}": "1",
        },
    )

    assert answer.status_code == 302
    assert Return.objects.get(order=order).kind == "recall"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"quantity_MUG": "two"}, "Enter a whole number."),
        ({"quantity_MUG": "-1"}, "greater than or equal to 0"),
        ({"quantity_MUG": "3"}, "less than or equal to 2"),
        ({"quantity_MUG": "99999999999999999999999"}, "less than or equal to 2"),
        ({"quantity_MUG": "0"}, "Choose at least one item"),
        ({"quantity_OTHER": "1"}, "Choose at least one item"),
        ({"quantity_999999": "1"}, "Choose at least one item"),
        ({"quantity_MUG": "1", "kind": "exchange"}, "Select a valid choice."),
        ({"quantity_MUG": "1", "resolution": ""}, "This field is required."),
        ({"quantity_MUG": "1", "reason": "   "}, "This field is required."),
        ({"quantity_MUG": "1", "reason": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_return_input_is_refused_with_a_message_never_a_500(client, at, fields, expected):
    order = order_deliver(
        order_place(email="mira@mail.example"), delivered_at=datetime(2026, 11, 5, tzinfo=UTC)
    )
    other = order_place(email="someone@mail.example")
    ids = {"MUG": order.items.get(sku="MUG-2").pk, "OTHER": other.items.first().pk}
    signed_in(client, order, "mira@mail.example")
    data = {"kind": "return", "resolution": "refund", "reason": "Broken"}
    for name, value in fields.items():
        key = name.split("_", 1)
        data[f"quantity_{ids.get(key[1], key[1])}" if key[0] == "quantity" else name] = value

    answer = client.post(f"/track/{order.number}/return/", data)

    assert answer.status_code == 400
    assert expected in answer.content.decode()
    assert not Return.objects.exists()


def test_a_return_before_delivery_is_refused_with_the_reason(client, at):
    order = order_place(email="mira@mail.example")
    signed_in(client, order, "mira@mail.example")

    answer = client.post(
        f"/track/{order.number}/return/",
        {
            "kind": "return",
            "resolution": "refund",
            "reason": "Too slow",
            f"quantity_{order.items.first().pk}": "1",
        },
    )

    assert answer.status_code == 400
    assert "A return can be started once the order has been delivered." in answer.content.decode()
    assert not Return.objects.exists()


# --- Cancelling and reporting a problem ---------------------------------------------------------------


def test_a_customer_asks_to_cancel_before_shipping_once(client, at):
    order = order_place(email="mira@mail.example", payment_method="cod")
    signed_in(client, order, "mira@mail.example")
    assert "Ask to cancel" in client.get(f"/track/{order.number}/").content.decode()

    answer = client.post(f"/track/{order.number}/cancel/", {"reason": "Ordered twice"}, follow=True)

    alert = OrderAlert.objects.get(order=order)
    assert (alert.kind, alert.detail) == (OrderAlert.Kind.CANCELLATION_REQUESTED, "Ordered twice")
    body = answer.content.decode()
    assert "We have your request to cancel this order." in body
    assert "You asked us to cancel this order" in body
    assert "Ask to cancel" not in body
    again = client.post(f"/track/{order.number}/cancel/", {"reason": ""}, follow=True)
    assert "We already have your request to cancel" in again.content.decode()
    assert OrderAlert.objects.filter(order=order).count() == 1


def test_cancelling_after_shipping_is_refused_and_the_button_is_gone(client, at):
    order = order_place(email="mira@mail.example")
    shipment_send(order)
    signed_in(client, order, "mira@mail.example")

    page = client.get(f"/track/{order.number}/").content.decode()
    answer = client.post(f"/track/{order.number}/cancel/", {"reason": "Too late?"})

    assert "Ask to cancel" not in page
    assert answer.status_code == 400
    assert "This order has already left us: start a return once it arrives." in answer.content.decode()
    assert not OrderAlert.objects.filter(order=order).exists()


def test_a_customer_reports_a_problem(client, at):
    order = order_place(email="mira@mail.example")
    signed_in(client, order, "mira@mail.example")

    answer = client.post(f"/track/{order.number}/problem/", {"message": "Wrong colour sent"}, follow=True)

    alert = OrderAlert.objects.get(order=order)
    assert (alert.kind, alert.detail) == (OrderAlert.Kind.PROBLEM_REPORTED, "Wrong colour sent")
    assert "Thank you for telling us." in answer.content.decode()
    assert "Wrong colour sent" in answer.content.decode()


@pytest.mark.parametrize("message", ["", "   ", "x" * 2001])
def test_an_empty_or_huge_problem_report_is_refused(client, at, message):
    order = order_place(email="mira@mail.example")
    signed_in(client, order, "mira@mail.example")

    answer = client.post(f"/track/{order.number}/problem/", {"message": message})

    assert answer.status_code == 400
    assert "field-error" in answer.content.decode()
    assert not OrderAlert.objects.exists()


def test_actions_answer_get_with_405_and_need_the_csrf_token(at):
    order = order_place(email="mira@mail.example")
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/track/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    browser.post(
        "/track/", {"number": order.number, "email": "mira@mail.example", "csrfmiddlewaretoken": token}
    )

    assert browser.get(f"/track/{order.number}/problem/").status_code == 405
    assert browser.post(f"/track/{order.number}/problem/", {"message": "Hi"}).status_code == 403
    assert not OrderAlert.objects.exists()
