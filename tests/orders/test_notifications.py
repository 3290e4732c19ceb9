"""Service emails about orders: one email per shipped / out for delivery / delivered / delivery problem /
refund / return step, at most once whatever is delivered, retried or swept twice; none for a customer who
opted out; a failure is recorded, not retried; and the opt-out link in each email.

In-process tests run the subscriber and the send task with Celery in eager mode (the task runs where it
is queued, at commit); the last test runs the same path through a real worker process and broker."""

import re
import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from lifecycle.models import Event
from lifecycle.services import event_dispatch, event_sweep
from orders import notifications, services
from orders.models import Notification, Order, Return, Shipment
from orders.optout import optout_token
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PLACED_AT = NOW - timedelta(days=2)
SHIPPED_AT = NOW - timedelta(days=1)
TRACKING_NUMBER = "JD014600006281"
DHL_LINK = f"https://www.dhl.com/global-en/home/tracking.html?tracking-id={TRACKING_NUMBER}"
Status = Notification.Status


@pytest.fixture
def deliver(worker_in_process, django_capture_on_commit_callbacks):
    """What the worker does with the events a step recorded: dispatch them to their subscribers, which
    record the notifications and queue their sending on commit."""

    def deliver_events(now: datetime = NOW) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            event_sweep(now=now)

    return deliver_events


# --- An order's life, through orders.services as the store's pushes go ------------------------------


def customer(**kwargs) -> Customer:
    return CustomerFactory(first_name="Mira", email="mira@mail.example", **kwargs)


def place(buyer: Customer, *, number: str = "100042", payment_method: str = "prepaid") -> Order:
    order, _ = services.order_upsert(
        data={
            "external_id": f"ext-{number}",
            "number": number,
            "customer": {"external_id": buyer.external_id},
            "placed_at": PLACED_AT,
            "currency": "EUR",
            "total": "64.90",
            "payment_method": payment_method,
            "items": [
                {"sku": "KETTLE-1", "name": "Enamel kettle", "quantity": 1, "unit_price": "39.90"},
                {"sku": "MUG-2", "name": "Stoneware mug", "quantity": 2, "unit_price": "12.50"},
            ],
            "promised_delivery_date": (PLACED_AT + timedelta(days=4)).date(),
        },
        source="test",
        now=PLACED_AT,
    )
    return order


def pay(order: Order) -> None:
    services.payment_upsert(
        order=order,
        data={
            "external_id": f"pay-{order.number}",
            "amount": order.total,
            "currency": "EUR",
            "method": "card",
            "status": "captured",
            "occurred_at": PLACED_AT + timedelta(minutes=3),
        },
    )


def ship(order: Order, *, shipped_at: datetime = SHIPPED_AT) -> Shipment:
    shipment, _ = services.shipment_upsert(
        order=order,
        data={
            "external_id": f"ship-{order.number}",
            "carrier": "DHL",
            "tracking_number": TRACKING_NUMBER,
            "shipped_at": shipped_at,
        },
    )
    return shipment


def scan(order: Order, status: str, at: datetime, *, location: str = "Bristol", description: str = ""):
    services.tracking_event_add(
        shipment=order.shipments.get(),
        data={"status": status, "occurred_at": at, "location": location, "description": description},
    )


def the_return(order: Order) -> Return:
    return order.returns.get()


def return_to(order: Order, to: str, *, at: datetime, **kwargs) -> None:
    services.return_transition(ret=the_return(order), to=to, actor="staff:ann", now=at, **kwargs)


def request_return(order: Order) -> Return:
    kettle = order.items.get(sku="KETTLE-1")
    return services.return_request(
        order=order,
        kind=Return.Kind.RETURN,
        reason="The lid does not close.",
        resolution=Return.Resolution.REFUND,
        items=[{"order_item": kettle.pk, "quantity": 1}],
        source="track",
        now=NOW - timedelta(hours=10),
    )


def complete_refund(order: Order) -> None:
    with transaction.atomic():
        locked = services.order_locked(order.pk)
        refund = locked.refunds.get()
        services.refund_record(
            order=locked,
            amount=refund.amount,
            reason=refund.reason,
            requested_at=refund.requested_at,
            completed_at=NOW - timedelta(hours=1),
            now=NOW,
            external_id=refund.external_id,
        )


# Each step of the life: what the store or staff do, then the one email it must cause.
STEPS = [
    (
        "shipped",
        lambda order: ship(order),
        "Your order 100042 is on its way",
        ["with DHL", DHL_LINK, TRACKING_NUMBER, "Enamel kettle"],
    ),
    (
        "out_for_delivery",
        lambda order: scan(order, "out_for_delivery", NOW - timedelta(hours=20)),
        "Your order 100042 is out for delivery",
        ["should reach you today", DHL_LINK],
    ),
    (
        "exception",
        lambda order: scan(
            order, "exception", NOW - timedelta(hours=18), description="Recipient not at home"
        ),
        "A problem with the delivery of your order 100042",
        ["Recipient not at home", "(Bristol)", DHL_LINK],
    ),
    (
        "delivered",
        lambda order: scan(order, "delivered", NOW - timedelta(hours=12), description="Left at the door"),
        "Your order 100042 has been delivered",
        ["Left at the door", "start a return"],
    ),
    (
        "return_requested",
        request_return,
        "We have your return {rma}",
        ["We have your return {rma}", "within two working days"],
    ),
    (
        "return_approved",
        lambda order: return_to(
            order, "approved", at=NOW - timedelta(hours=8), instructions="Label: https://l.example/1"
        ),
        "Your return {rma} is approved",
        [
            "Label: https://l.example/1",
            "Please write {rma} on the parcel",
            "1 \N{MULTIPLICATION SIGN} Enamel kettle",
        ],
    ),
    (
        "return_received",
        lambda order: return_to(order, "received", at=NOW - timedelta(hours=6)),
        "We have received your return {rma}",
        ["We have received the items of your return {rma}"],
    ),
    (
        "return_resolved",
        lambda order: return_to(order, "resolved", at=NOW - timedelta(hours=4)),
        "Your return {rma} is complete",
        ["Your refund is on its way"],
    ),
    (
        "refund_issued",
        complete_refund,
        "We have refunded 39.90 EUR for your order 100042",
        ["We have refunded 39.90 EUR", "(Return {rma})"],
    ),
]
STEP_NAMES = [step[0] for step in STEPS]


def a_paid_order() -> Order:
    order = place(customer())
    pay(order)
    return order


def fill(text: str, order: Order) -> str:
    ret = order.returns.first()
    return text.replace("{rma}", ret.rma if ret else "")


def opt_out_link(order: Order) -> str:
    return f"https://care.shop.example/track/updates/off/{optout_token(order.customer)}/"


@pytest.mark.parametrize("step", STEP_NAMES)
def test_each_step_of_an_order_sends_its_one_email(deliver, step):
    # given a paid order that has gone through the steps before this one, each announced
    order = a_paid_order()
    upto = STEP_NAMES.index(step)
    for _, action, *_ in STEPS[:upto]:
        action(order)
        deliver()
    assert len(mail.outbox) == upto

    # when this step happens and its events are delivered
    _, action, subject, snippets = STEPS[upto]
    action(order)
    deliver()

    # then exactly one more email went out: to the customer, about this, with the links it needs
    assert len(mail.outbox) == upto + 1
    message = mail.outbox[-1]
    assert message.to == ["mira@mail.example"]
    assert message.subject == fill(subject, order)
    html = {mimetype: content for content, mimetype in message.alternatives}["text/html"]
    for body in (message.body, html):
        assert "Mira" in body
        assert "100042" in body
        assert "https://care.shop.example/track/?number=100042" in body
        assert opt_out_link(order) in body
    for snippet in snippets:
        assert fill(snippet, order) in message.body
    assert "<a href" in html and "<script" not in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{opt_out_link(order)}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # and its row says it was sent, with the id the ESP gave it
    notification = Notification.objects.get(order=order, subject=message.subject)
    assert notification.status == Status.SENT
    assert notification.message_id == str(message.anymail_status.message_id)
    assert message.anymail_status.status == {"sent"}
    assert notification.sent_at is not None


def test_a_rejected_return_is_told_to_the_customer(deliver):
    # given a delivered order with a return request
    order = a_paid_order()
    ship(order)
    scan(order, "delivered", NOW - timedelta(hours=12))
    request_return(order)
    deliver()
    mail.outbox.clear()

    # when staff reject it
    return_to(order, "rejected", at=NOW - timedelta(hours=2), note="Used item")
    deliver()

    # then the customer hears it once, without the staff's internal note
    [message] = mail.outbox
    rma = the_return(order).rma
    assert message.subject == f"About your return {rma}"
    assert f"We could not accept your return {rma}" in message.body
    assert "Used item" not in message.body


def test_delivering_sending_and_sweeping_again_sends_nothing_more(deliver):
    # given an order whose shipped email has gone out
    order = a_paid_order()
    ship(order)
    deliver()
    assert len(mail.outbox) == 1
    notification = Notification.objects.get(order=order)
    event = Event.objects.get(kind="shipment_created")

    # when the event is dispatched again, handed to the subscriber again, the task runs again, and the
    # sweep runs later
    assert event_dispatch(event_id=event.pk, now=NOW) is True
    again = notifications.notification_subscriber(event, now=NOW + timedelta(minutes=5))
    rerun = notifications.notification_send(notification_id=notification.pk, now=NOW)
    swept = notifications.notifications_sweep(now=NOW + timedelta(hours=1))

    # then nothing more was recorded or sent
    assert again is None
    assert rerun == ""
    assert swept == "0 pending notifications sent"
    assert Notification.objects.filter(order=order).count() == 1
    assert len(mail.outbox) == 1


def test_the_sweep_sends_a_notification_whose_task_was_lost_once(django_capture_on_commit_callbacks):
    # given a notification recorded whose task never ran (the transaction's on-commit queueing is dropped)
    order = a_paid_order()
    ship(order)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        event_sweep(now=NOW)
    notification = Notification.objects.get(order=order)
    assert notification.status == Status.PENDING
    assert len(queued) >= 1

    # when the sweep runs within the minute the task has, then after it, then again
    early = notifications.notifications_sweep(now=NOW + timedelta(seconds=30))
    late = notifications.notifications_sweep(now=NOW + timedelta(minutes=2))
    again = notifications.notifications_sweep(now=NOW + timedelta(minutes=3))

    # then the late run sent it, once
    assert (early, late, again) == (
        "0 pending notifications sent",
        "1 pending notifications sent",
        "0 pending notifications sent",
    )
    assert [message.subject for message in mail.outbox] == ["Your order 100042 is on its way"]
    notification.refresh_from_db()
    assert notification.status == Status.SENT


def test_a_customer_who_opted_out_gets_no_email(deliver):
    # given a customer who opted out of order updates
    order = place(customer(order_updates_opt_out=True))
    pay(order)

    # when the order ships
    ship(order)
    deliver()

    # then the notification is recorded as skipped, and nothing is sent
    notification = Notification.objects.get(order=order)
    assert notification.status == Status.SKIPPED
    assert "opted out" in notification.error
    assert mail.outbox == []


def test_opting_out_after_the_event_but_before_the_send_still_wins(django_capture_on_commit_callbacks):
    # given a shipped email recorded, its task not yet run
    order = a_paid_order()
    ship(order)
    with django_capture_on_commit_callbacks(execute=False):
        event_sweep(now=NOW)
    notification = Notification.objects.get(order=order)

    # when the customer opts out, and then the task runs
    Customer.objects.filter(pk=order.customer_id).update(order_updates_opt_out=True)
    outcome = notifications.notification_send(notification_id=notification.pk, now=NOW)

    # then it is skipped
    assert outcome == Status.SKIPPED
    assert mail.outbox == []


def test_no_email_address_and_old_news_are_skipped(deliver):
    # given a customer without an email address, and one whose shipment the store reports a week late
    nameless = CustomerFactory(email="")
    first = place(nameless, number="100051")
    pay(first)
    ship(first)
    second = place(customer(), number="100052")
    pay(second)
    ship(second, shipped_at=NOW - timedelta(days=7))

    # when the events are delivered
    deliver()

    # then both are recorded as skipped with their reason, and nothing is sent
    reasons = dict(Notification.objects.values_list("order__number", "error"))
    assert Notification.objects.filter(status=Status.SKIPPED).count() == 2
    assert reasons["100051"] == "The customer has no email address."
    assert "too long ago" in reasons["100052"]
    assert mail.outbox == []


@pytest.fixture
def smtp_refusing(settings):
    """An SMTP server address where nothing listens: a bound socket that never listens refuses at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", holder.getsockname()[1]
        settings.EMAIL_TIMEOUT = 3
        yield


def test_a_send_that_fails_is_marked_failed_and_not_retried(deliver, smtp_refusing):
    # given a mail server that refuses connections
    order = a_paid_order()

    # when the order ships and the sweep runs afterwards
    ship(order)
    deliver()
    swept = notifications.notifications_sweep(now=NOW + timedelta(hours=1))

    # then the notification is failed with the error, and the sweep does not try again
    notification = Notification.objects.get(order=order)
    assert notification.status == Status.FAILED
    assert "ConnectionRefusedError" in notification.error
    assert notification.sent_at is None
    assert swept == "0 pending notifications sent"


def test_the_tick_runs_the_notification_sweep():
    from carecrm import jobs

    assert jobs.get("order_notifications").run == notifications.notifications_sweep
    assert jobs.get("order_notifications").order > jobs.get("event_sweep").order


# --- The opt-out link -------------------------------------------------------------------------------


def test_the_opt_out_link_in_an_email_stops_the_next_ones(client, deliver):
    # given a customer who got the shipped email
    order = a_paid_order()
    ship(order)
    deliver()
    link = re.search(r"https://care\.shop\.example(/track/updates/off/[^/\s]+/)", mail.outbox[0].body)[1]

    # when they open the link, then press the button
    shown = client.get(link)
    customer_before = Customer.objects.get(pk=order.customer_id).order_updates_opt_out
    pressed = client.post(link)
    pressed_again = client.post(link)

    # then opening changed nothing, pressing opted them out once, and later updates are skipped
    assert shown.status_code == 200
    assert b"Stop these emails" in shown.content
    assert b"m\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2@mail.example" in shown.content  # the address, masked
    assert customer_before is False
    assert pressed.status_code == pressed_again.status_code == 200
    assert b"You are opted out" in pressed.content
    assert Customer.objects.get(pk=order.customer_id).order_updates_opt_out is True
    assert Event.objects.filter(customer=order.customer, kind="order_updates_opted_out").count() == 1
    scan(order, "delivered", NOW - timedelta(hours=3))
    deliver()
    assert len(mail.outbox) == 1
    assert Notification.objects.get(order=order, kind="delivered").status == Status.SKIPPED


def test_a_mail_clients_one_click_post_works_without_a_session(client):
    # given the List-Unsubscribe-Post body a mail client sends, with no cookie and no CSRF token
    buyer = customer()
    client.handler.enforce_csrf_checks = True

    # when it posts to the link
    response = client.post(f"/track/updates/off/{optout_token(buyer)}/", {"List-Unsubscribe": "One-Click"})

    # then the customer is opted out
    assert response.status_code == 200
    buyer.refresh_from_db()
    assert buyer.order_updates_opt_out is True


@pytest.mark.parametrize(
    "token",
    [
        "tampered",
        "MQ:1vXyZ:not-the-signature",
        signing.Signer(salt="some.other.purpose").sign_object(1),
        signing.Signer(salt="orders.order-updates-off").sign_object("1"),
        signing.Signer(salt="orders.order-updates-off").sign_object(10**9),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_foreign_token_is_refused_with_404(client, token, method):
    # given a customer, and a token that is not a valid opt-out token for anyone
    buyer = customer()

    # when the link is used
    response = getattr(client, method)(f"/track/updates/off/{token}/")

    # then it answers 404, and nobody is opted out
    assert response.status_code == 404
    buyer.refresh_from_db()
    assert buyer.order_updates_opt_out is False


def test_the_token_of_a_merged_duplicate_opts_out_the_survivor(client):
    # given a duplicate merged into its survivor, and an old email to the duplicate
    survivor, duplicate = customer(), CustomerFactory()
    Customer.objects.filter(pk=duplicate.pk).update(merged_into=survivor)

    # when the duplicate's link is pressed
    response = client.post(f"/track/updates/off/{optout_token(duplicate)}/")

    # then the survivor is opted out
    assert response.status_code == 200
    survivor.refresh_from_db()
    assert survivor.order_updates_opt_out is True


# --- Through a real worker ----------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_sends_the_shipped_email_once(live_worker):
    # given an order paid a moment ago (committed: the worker reads it from the database)
    buyer = customer()
    now = timezone.now()
    order, _ = services.order_upsert(
        data={
            "external_id": "ext-w1",
            "number": "W-1",
            "customer": {"external_id": buyer.external_id},
            "placed_at": now - timedelta(hours=3),
            "currency": "EUR",
            "total": Decimal("25.00"),
            "items": [{"sku": "MUG-2", "name": "Stoneware mug", "quantity": 2, "unit_price": "12.50"}],
        },
        source="test",
    )

    # when the store reports the shipment
    ship(order, shipped_at=now - timedelta(minutes=5))

    # then the worker dispatches the event, records the notification and sends it, once
    sent = live_worker.wait_until(
        lambda: Notification.objects.filter(order=order, status=Status.SENT).first(),
        what="the shipped email sent by the worker",
    )
    assert sent.subject == "Your order W-1 is on its way"
    assert sent.message_id != ""
    assert notifications.notification_send(notification_id=sent.pk, now=now) == ""
    assert Notification.objects.filter(order=order).count() == 1
