"""Service emails about a customer's orders: shipped, out for delivery, delivered, a delivery problem,
a refund issued, and each step of a return.

Each email is a Notification row before it is anything else (STYLE.md rule 7):

1. `notification_subscriber` reacts to the order's Event and records the row under a key unique per
   event kind and subject (`shipment_created:<shipment id>`), so an event dispatched twice records one
   row; a customer who opted out, has no address, or an event too old to announce gets a SKIPPED row.
2. Once that commits, `orders.notification_send` is queued with the row's id.
3. `notification_send` claims the row with a conditional update pending → sending that only one process
   can win, renders and sends it, then marks it sent with the ESP's message id (or failed with the error).
   A task delivered twice, or a task and the sweep racing, find the row claimed and send nothing.
4. `notifications_sweep` (a tick job) sends rows still pending a minute later: their task was lost.

A claimed row is never claimed again, even when its sender died before marking it: each email goes out
at most once, and a row stuck in `sending` says a person should look, not a machine retry.
"""

import logging
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from carecrm.links import site_url
from carecrm.mail import esp_message_id
from customers.models import Customer
from lifecycle.models import Event
from orders import carriers
from orders.models import Carrier, Notification, Order, Refund, Return, Shipment, TrackingEvent
from orders.optout import optout_url

logger = logging.getLogger(__name__)
Kind = Notification.Kind
NotificationStatus = Notification.Status

# Event kind -> (notification kind, the key in the event's data naming what it is about).
EVENT_KINDS: dict[str, tuple[str, str]] = {
    "shipment_created": (Kind.SHIPPED, "shipment"),
    "shipment_out_for_delivery": (Kind.OUT_FOR_DELIVERY, "shipment"),
    "shipment_delivered": (Kind.DELIVERED, "shipment"),
    "shipment_exception": (Kind.EXCEPTION, "shipment"),
    "refund_issued": (Kind.REFUND_ISSUED, "refund"),
    "return_requested": (Kind.RETURN_UPDATE, "return"),
    "return_approved": (Kind.RETURN_UPDATE, "return"),
    "return_received": (Kind.RETURN_UPDATE, "return"),
    "return_resolved": (Kind.RETURN_UPDATE, "return"),
    "return_rejected": (Kind.RETURN_UPDATE, "return"),
}
SHIPMENT_STATUS = {
    "shipment_out_for_delivery": Shipment.Status.OUT_FOR_DELIVERY,
    "shipment_delivered": Shipment.Status.DELIVERED,
    "shipment_exception": Shipment.Status.EXCEPTION,
}
# A pending row younger than this is still its task's to send; the sweep leaves it alone.
SWEEP_GRACE = timedelta(minutes=1)


def notification_key(event_kind: str, subject_id: int) -> str:
    return f"{event_kind}:{subject_id}"


def _key_parts(key: str) -> tuple[str, int]:
    event_kind, subject_id = key.rsplit(":", 1)
    return event_kind, int(subject_id)


# --- Recording --------------------------------------------------------------------------------------


def notification_subscriber(event: Event, *, now: datetime) -> Notification | None:
    """Record the email an order event calls for and queue its sending once this transaction commits.
    Runs at most once per event (lifecycle's EventHandling); the unique key covers the rest."""
    kind, subject_field = EVENT_KINDS[event.kind]
    subject_id, order_id = event.data.get(subject_field), event.data.get("order")
    if not subject_id or not order_id:
        logger.warning("Event %s (%s) names no %s or order; no email", event.pk, event.kind, subject_field)
        return None
    order = Order.objects.select_related("customer").filter(pk=order_id).first()
    if order is None:
        return None
    customer = order.customer
    skip_reason = _skip_reason(customer=customer, event=event, now=now)
    notification = Notification(
        order=order,
        kind=kind,
        key=notification_key(event.kind, subject_id),
        to=customer.email,
        subject=_subject(event=event, order=order, subject_id=subject_id)[:300],
        status=NotificationStatus.SKIPPED if skip_reason else NotificationStatus.PENDING,
        error=skip_reason,
        created_at=now,
    )
    try:
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        if Notification.objects.filter(key=notification.key).exists():
            return None  # recorded already: this email has its row, whatever became of it
        raise
    if notification.status == NotificationStatus.PENDING:
        transaction.on_commit(partial(_enqueue, notification.pk))
    return notification


def _skip_reason(*, customer: Customer, event: Event, now: datetime) -> str:
    if customer.order_updates_opt_out:
        return "The customer opted out of order update emails."
    if not customer.email:
        return "The customer has no email address."
    max_age = timedelta(hours=settings.CARECRM["ORDER_UPDATE_MAX_AGE_HOURS"])
    if event.occurred_at < now - max_age:
        return f"It happened on {event.occurred_at:%d %b %Y %H:%M}, too long ago to announce."
    return ""


def _subject(*, event: Event, order: Order, subject_id: int) -> str:
    number = order.number
    match event.kind:
        case "shipment_created":
            return f"Your order {number} is on its way"
        case "shipment_out_for_delivery":
            return f"Your order {number} is out for delivery"
        case "shipment_delivered":
            return f"Your order {number} has been delivered"
        case "shipment_exception":
            return f"A problem with the delivery of your order {number}"
        case "refund_issued":
            return f"We have refunded {event.data['amount']} {order.currency} for your order {number}"
    ret = Return.objects.filter(pk=subject_id).only("rma", "kind").first()
    what = f"{ret.get_kind_display().lower()} {ret.rma}" if ret else f"return for order {number}"
    return {
        "return_requested": f"We have your {what}",
        "return_approved": f"Your {what} is approved",
        "return_received": f"We have received your {what}",
        "return_resolved": f"Your {what} is complete",
        "return_rejected": f"About your {what}",
    }[event.kind]


def _enqueue(notification_id: int) -> None:
    from orders.tasks import notification_send_task  # the task module imports this one

    try:
        notification_send_task.delay(notification_id)
    except Exception:
        # The row is committed: the sweep sends it once the broker is back.
        logger.warning(
            "Broker unreachable; notification %s left for the sweep", notification_id, exc_info=True
        )


# --- Sending ----------------------------------------------------------------------------------------


def notification_send(*, notification_id: int, now: datetime) -> str:
    """Send one pending notification, once. Returns the status it ended in, or "" when it was not
    pending (sent, skipped, failed, or being sent by another process).

    Called outside any transaction (a task, the tick), so that the claim is committed before the email
    leaves: a rollback after the send must not make the row pending again."""
    claimed = Notification.objects.filter(pk=notification_id, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.SENDING
    )
    if claimed != 1:
        return ""
    notification = Notification.objects.select_related("order__customer").get(pk=notification_id)
    customer = notification.order.customer
    if customer.order_updates_opt_out:
        # Opted out between the event and the sending: their wish wins.
        return _finish(
            notification, NotificationStatus.SKIPPED, error="The customer opted out before it was sent."
        )
    try:
        message = notification_message(notification)
        message.send()
    except Exception as exc:
        logger.exception("Notification %s to order %s failed", notification.pk, notification.order.number)
        return _finish(notification, NotificationStatus.FAILED, error=f"{exc.__class__.__name__}: {exc}")
    return _finish(notification, NotificationStatus.SENT, message_id=esp_message_id(message), sent_at=now)


def _finish(notification: Notification, status: str, **fields) -> str:
    if "error" in fields:
        fields["error"] = fields["error"][:5000]
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.SENDING).update(
        status=status, **fields
    )
    return status


def notifications_sweep(*, now: datetime, limit: int = 200) -> str:
    """Send the notifications whose task was lost (the broker was down, a worker died before taking
    it): pending rows older than a minute, oldest first."""
    due = list(
        Notification.objects.filter(status=NotificationStatus.PENDING, created_at__lte=now - SWEEP_GRACE)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes = [notification_send(notification_id=pk, now=now) for pk in due]
    sent = outcomes.count(NotificationStatus.SENT)
    failed = outcomes.count(NotificationStatus.FAILED)
    return f"{sent} pending notifications sent" + (f", {failed} failed" if failed else "")


# --- Rendering --------------------------------------------------------------------------------------


def track_url(order: Order) -> str:
    return site_url("/track/?" + urlencode({"number": order.number}))


def notification_message(notification: Notification) -> EmailMultiAlternatives:
    """The email for a notification: plain text with an HTML alternative, and the opt-out link also
    in the List-Unsubscribe headers so a mail client can offer it as a button (RFC 8058)."""
    context = notification_context(notification)
    text = render_to_string(f"orders/email/{notification.kind}.txt", context)
    html = render_to_string(f"orders/email/{notification.kind}.html", context)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=text,
        to=[notification.to],
        headers={
            "List-Unsubscribe": f"<{context['opt_out_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    # Read by django-anymail backends (ESP tags and metadata for webhooks and reports), ignored by others.
    message.tags = ["order-update", notification.kind]
    message.metadata = {"notification": str(notification.pk), "order": notification.order.number}
    return message


def notification_context(notification: Notification) -> dict:
    order = notification.order
    customer = order.customer
    event_kind, subject_id = _key_parts(notification.key)
    context = {
        "notification": notification,
        "event_kind": event_kind,
        "order": order,
        "customer_name": customer.first_name,
        "track_url": track_url(order),
        "opt_out_url": optout_url(customer),
    }
    if event_kind.startswith("shipment_"):
        context.update(_shipment_context(order=order, shipment_id=subject_id, event_kind=event_kind))
    elif event_kind == "refund_issued":
        context["refund"] = Refund.objects.get(pk=subject_id, order=order)
    else:
        ret = Return.objects.get(pk=subject_id, order=order)
        context.update(
            ret=ret,
            return_status=event_kind.removeprefix("return_"),
            return_items=list(ret.items.select_related("order_item")),
        )
    return context


def _shipment_context(*, order: Order, shipment_id: int, event_kind: str) -> dict:
    shipment = Shipment.objects.get(pk=shipment_id, order=order)
    scan = None
    if event_kind in SHIPMENT_STATUS:
        scan = (
            TrackingEvent.objects.filter(shipment=shipment, status=SHIPMENT_STATUS[event_kind])
            .order_by("-occurred_at", "-id")
            .first()
        )
    return {
        "shipment": shipment,
        "carrier_name": shipment.carrier_name
        if shipment.carrier == Carrier.OTHER and shipment.carrier_name
        else shipment.get_carrier_display(),
        "tracking_url": carriers.tracking_url(shipment.carrier, shipment.tracking_number),
        "shipment_items": list(shipment.items.select_related("order_item")),
        "scan": scan,
    }
