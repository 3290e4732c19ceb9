"""The orders admin: returns move through their states and alerts are resolved by actions that call the
services, a refused move is a message rather than an error page, and the lists and pages open."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.models import Event
from orders import services
from orders.models import Notification, Order, OrderAlert, Return
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

PLACED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DELIVERED_AT = PLACED_AT + timedelta(days=3)
RETURNS_URL = "/admin/orders/return/"
ALERTS_URL = "/admin/orders/orderalert/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="ann", role="admin"))
    return client


def delivered_order(number: str) -> Order:
    buyer = CustomerFactory(email=f"buyer-{number}@mail.example")
    order, _ = services.order_upsert(
        data={
            "external_id": f"ext-{number}",
            "number": number,
            "customer": {"external_id": buyer.external_id},
            "placed_at": PLACED_AT,
            "currency": "EUR",
            "total": "25.00",
            "payment_method": "cod",
            "items": [{"sku": "MUG-2", "name": "Stoneware mug", "quantity": 2, "unit_price": "12.50"}],
        },
        source="test",
    )
    shipment, _ = services.shipment_upsert(
        order=order,
        data={
            "external_id": f"ship-{number}",
            "carrier": "UPS",
            "tracking_number": f"1Z{number}",
            "shipped_at": PLACED_AT + timedelta(days=1),
        },
    )
    services.tracking_event_add(shipment=shipment, data={"status": "delivered", "occurred_at": DELIVERED_AT})
    return order


def requested_return(number: str) -> Return:
    order = delivered_order(number)
    return services.return_request(
        order=order,
        kind=Return.Kind.RETURN,
        reason="Chipped",
        resolution=Return.Resolution.REPLACEMENT,
        items=[{"order_item": order.items.get().pk, "quantity": 1}],
        source="track",
        now=DELIVERED_AT + timedelta(days=2),
    )


def act(client, url: str, action: str, objects) -> list[tuple[str, str]]:
    response = client.post(
        url, {"action": action, "_selected_action": [obj.pk for obj in objects]}, follow=True
    )
    assert response.status_code == 200
    return [(message.level_tag, message.message) for message in response.context["messages"]]


def test_return_actions_move_a_return_through_its_states(admin_client):
    # given a return the customer requested
    ret = requested_return("5001")

    # when staff approve it, mark it received and resolve it, one action after the other
    said = [
        act(admin_client, RETURNS_URL, action, [ret]) for action in ("approve", "mark_received", "resolve")
    ]

    # then it went through each state, each step recorded with the staff member as actor
    ret.refresh_from_db()
    assert ret.status == Return.Status.RESOLVED
    assert ret.received_at and ret.resolved_at
    assert said == [
        [("success", f"1 approved: {ret.rma}.")],
        [("success", f"1 received: {ret.rma}.")],
        [("success", f"1 resolved: {ret.rma}.")],
    ]
    steps = Event.objects.filter(kind__in=["return_approved", "return_received", "return_resolved"])
    assert sorted(steps.values_list("kind", flat=True)) == [
        "return_approved",
        "return_received",
        "return_resolved",
    ]
    assert {event.data["actor"] for event in steps} == {"ann"}


def test_a_move_the_service_refuses_is_a_message_and_the_others_still_move(admin_client):
    # given one request still open and one already rejected
    open_one, rejected = requested_return("5002"), requested_return("5003")
    services.return_transition(ret=rejected, to=Return.Status.REJECTED, actor="bo")

    # when staff approve both
    said = act(admin_client, RETURNS_URL, "approve", [open_one, rejected])

    # then the open one is approved and the rejected one stays as it was, with the reason shown
    assert said == [
        ("success", f"1 approved: {open_one.rma}."),
        ("error", f"Not approved: {rejected.rma}: {rejected.rma} cannot go from rejected to approved."),
    ]
    assert Return.objects.get(pk=open_one.pk).status == Return.Status.APPROVED
    assert Return.objects.get(pk=rejected.pk).status == Return.Status.REJECTED


def test_reject_action_rejects_a_request(admin_client):
    ret = requested_return("5004")

    said = act(admin_client, RETURNS_URL, "reject", [ret])

    assert said == [("success", f"1 rejected: {ret.rma}.")]
    assert Return.objects.get(pk=ret.pk).status == Return.Status.REJECTED


def test_an_agent_may_act_on_returns_but_not_edit_orders(client):
    # given an agent signed in, and a return request
    client.force_login(UserFactory(username="alex", role="agent"))
    ret = requested_return("5005")

    # when they approve it and open its order
    said = act(client, RETURNS_URL, "approve", [ret])
    order_page = client.get(f"/admin/orders/order/{ret.order_id}/change/")

    # then the return moved, and the order is shown read-only
    assert said == [("success", f"1 approved: {ret.rma}.")]
    assert order_page.status_code == 200
    assert b'name="number"' not in order_page.content
    assert b"5005" in order_page.content


def test_mark_resolved_closes_open_alerts_once(admin_client):
    # given an open alert and one resolved already
    open_alert = services.alert_raise(
        order=delivered_order("5006"),
        kind=OrderAlert.Kind.PROBLEM_REPORTED,
        now=DELIVERED_AT,
        detail="Broken",
    )
    closed_alert = services.alert_raise(
        order=delivered_order("5007"), kind=OrderAlert.Kind.LATE_DELIVERY, now=DELIVERED_AT
    )
    services.alert_resolve(alert=closed_alert, actor="bo")

    # when staff mark both resolved
    said = act(admin_client, ALERTS_URL, "mark_resolved", [open_alert, closed_alert])

    # then the open one is resolved by them, and the other is left as it was
    assert said == [("success", "1 alerts resolved."), ("warning", "1 were resolved already.")]
    open_alert.refresh_from_db()
    assert open_alert.resolved_at is not None
    resolved = Event.objects.filter(kind="order_alert_resolved").order_by("pk").last()
    assert resolved.data == {
        "order": open_alert.order_id,
        "alert": open_alert.pk,
        "kind": "problem_reported",
        "actor": "ann",
    }


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/order/",
        "/admin/orders/order/?q=buyer-5008@mail.example",
        "/admin/orders/order/?q=ext-5008",
        "/admin/orders/order/?promise=late",
        "/admin/orders/shipment/",
        "/admin/orders/return/",
        "/admin/orders/orderalert/?state=open",
        "/admin/orders/notification/",
    ],
)
def test_the_lists_open(admin_client, url):
    delivered_order("5008")

    response = admin_client.get(url)

    assert response.status_code == 200
    if "q=" in url:
        assert b"5008" in response.content


def test_an_orders_page_shows_its_items_payments_and_shipments(admin_client):
    order = delivered_order("5009")
    shipment = order.shipments.get()

    order_page = admin_client.get(f"/admin/orders/order/{order.pk}/change/")
    shipment_page = admin_client.get(f"/admin/orders/shipment/{shipment.pk}/change/")

    assert order_page.status_code == shipment_page.status_code == 200
    assert b"Stoneware mug" in order_page.content
    assert b"1Z5009" in order_page.content
    assert b"https://www.ups.com/track?tracknum=1Z5009" in shipment_page.content
    assert b"Delivered" in shipment_page.content


def test_notifications_are_read_only(admin_client):
    order = delivered_order("5010")
    notification = Notification.objects.create(
        order=order,
        kind="shipped",
        key="shipment_created:1",
        to="a@mail.example",
        subject="S",
        created_at=PLACED_AT,
    )

    page = admin_client.get(f"/admin/orders/notification/{notification.pk}/change/")
    add = admin_client.get("/admin/orders/notification/add/")

    assert page.status_code == 200
    assert b'name="subject"' not in page.content
    assert add.status_code == 403


def test_the_order_list_costs_the_same_queries_for_one_order_or_many(admin_client):
    # The customer column comes with the orders (list_select_related), not one query per row.
    delivered_order("5011")
    with CaptureQueriesContext(connection) as one:
        admin_client.get("/admin/orders/order/")
    for number in ("5012", "5013", "5014"):
        delivered_order(number)
    with CaptureQueriesContext(connection) as four:
        admin_client.get("/admin/orders/order/")

    assert len(four) == len(one)
