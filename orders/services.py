"""Writes to orders and everything after the sale. Every change records its Event in the same
transaction; the customer's summary columns move with F() updates in that transaction too."""

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from carecrm import clock, money
from carecrm.errors import Conflict
from customers.models import Customer
from lifecycle.services import customer_upsert, event_record
from orders import carriers
from orders.models import (
    Order,
    OrderAlert,
    OrderItem,
    Payment,
    Refund,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    TrackingEvent,
)

Status = Order.Status

# Forward moves may skip steps (a store may report `shipped` without `confirmed`); nothing moves back.
ORDER_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {
        Status.CONFIRMED,
        Status.PARTIALLY_SHIPPED,
        Status.SHIPPED,
        Status.DELIVERED,
        Status.CANCELLED,
    },
    Status.CONFIRMED: {Status.PARTIALLY_SHIPPED, Status.SHIPPED, Status.DELIVERED, Status.CANCELLED},
    Status.PARTIALLY_SHIPPED: {Status.SHIPPED, Status.DELIVERED, Status.RETURNED},
    Status.SHIPPED: {Status.DELIVERED, Status.RETURNED},
    Status.DELIVERED: {Status.RETURNED},
    Status.CANCELLED: set(),
    Status.RETURNED: set(),
}

RETURN_TRANSITIONS: dict[str, set[str]] = {
    Return.Status.REQUESTED: {Return.Status.APPROVED, Return.Status.REJECTED, Return.Status.CANCELLED},
    Return.Status.APPROVED: {Return.Status.RECEIVED, Return.Status.CANCELLED},
    Return.Status.RECEIVED: {Return.Status.RESOLVED},
    Return.Status.REJECTED: set(),
    Return.Status.RESOLVED: set(),
    Return.Status.CANCELLED: set(),
}


def _retrying_on_race(func, **kwargs):
    """Run `func` in a savepoint; a unique constraint lost to a concurrent insert of the same record
    means the record now exists, so the second try finds it and updates instead."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return func(**kwargs)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# --- Orders -----------------------------------------------------------------------------------------


def order_upsert(*, data: dict, source: str, now: datetime | None = None) -> tuple[Order, bool]:
    """Create or update the order `data` names by external_id (else number).

    `data` is what the API's serializer validated: customer ({external_id} or {email}), placed_at,
    currency, total, items [...] and the rest. An unknown email creates the customer.
    """
    now = now or clock.now()
    with transaction.atomic():
        return _retrying_on_race(_order_upsert_once, data=data, source=source, now=now)


def _order_upsert_once(*, data: dict, source: str, now: datetime) -> tuple[Order, bool]:
    lookup = {"external_id": data["external_id"]} if data.get("external_id") else {"number": data["number"]}
    order = Order.objects.select_for_update().filter(**lookup).first()
    if order is None and data.get("external_id"):
        order = Order.objects.select_for_update().filter(number=data["number"]).first()
        # The same external id here means a concurrent request committed this very order between the
        # two lookups: it is an update, not a clash.
        if order is not None and order.external_id and order.external_id != data["external_id"]:
            raise Conflict(
                f"Order number {data['number']} belongs to the order with external_id {order.external_id}.",
                field="number",
            )
        if order is not None and not order.external_id:
            # Known by its number only (an import without ids): the store's id now names it.
            order.external_id = data["external_id"]
            order.save(update_fields=["external_id", "updated_at"])
    if order is None:
        return _order_create(data=data, source=source, now=now), True
    _order_update(order=order, data=data, source=source, now=now)
    return order, False


def store_customer(*, ref: dict, at: datetime, source: str) -> Customer:
    """The customer a store's push names: by external_id (who must exist), or by email (created when new,
    with `at` as registration: a guest checkout or cart is where their journey starts)."""
    if ref.get("external_id") and not ref.get("email"):
        customer = Customer.objects.filter(external_id=ref["external_id"]).first()
        if customer is None:
            raise ValidationError(
                {"customer": [f"No customer with external_id {ref['external_id']}; send it first."]}
            )
        return Customer.objects.get(pk=customer.merged_into_id) if customer.merged_into_id else customer
    # As `now`, `at` dates only a customer created here; sent as registered_at it would move a known
    # customer's registration to each new order.
    customer, _ = customer_upsert(
        data={k: v for k, v in ref.items() if v not in (None, "")}, source=source, now=at
    )
    return customer


def _order_create(*, data: dict, source: str, now: datetime) -> Order:
    placed_at = data["placed_at"]
    customer = store_customer(ref=data["customer"], at=placed_at, source=source)
    currency = data["currency"]
    order = Order(
        external_id=data.get("external_id") or None,
        number=data["number"],
        customer=customer,
        placed_at=placed_at,
        status=data.get("status") or _initial_status(data),
        status_changed_at=placed_at,
        currency=currency,
        total=money.to_decimal(data["total"], currency),
        payment_method=data.get("payment_method") or Order.PaymentMethod.PREPAID,
    )
    _apply_details(order, data)
    if order.status == Status.CANCELLED:
        order.cancelled_at = placed_at
    if order.status in (Status.DELIVERED, Status.RETURNED):
        # A backfilled order that arrived long ago: without its delivery date, placement is the best floor.
        order.delivered_at = data.get("delivered_at") or placed_at
    order.save()
    OrderItem.objects.bulk_create(_order_item(order, item) for item in data.get("items", []))
    event_record(
        customer=customer,
        kind="order_placed",
        occurred_at=placed_at,
        summary=f"Order {order.number} placed: {order.total} {currency}",
        data={
            "order": order.pk,
            "number": order.number,
            "total": str(order.total),
            "currency": currency,
            "payment_method": order.payment_method,
            "items": len(data.get("items", [])),
            "coupons": order.coupon_codes,
        },
        key=f"order_placed:{order.pk}",
    )
    if order.status != Status.CANCELLED:
        _customer_add_order(customer_id=customer.pk, total=order.total, placed_at=placed_at)
    else:
        _order_cancelled_event(order, occurred_at=placed_at, reason="")
    return order


def _initial_status(data: dict) -> str:
    # Cash on delivery needs no payment before shipping: the order is confirmed as placed.
    return Status.CONFIRMED if data.get("payment_method") == Order.PaymentMethod.COD else Status.PENDING


DETAIL_FIELDS = ("shipping_address", "promised_delivery_date", "coupon_codes")
INSTRUCTION_FIELDS = ("gift_wrap", "delivery_slot", "note")


def _apply_details(order: Order, data: dict) -> list[str]:
    changed = []
    for name in DETAIL_FIELDS:
        if name in data and getattr(order, name) != data[name]:
            setattr(order, name, data[name])
            changed.append(name)
    for name in INSTRUCTION_FIELDS:
        value = (data.get("special_instructions") or {}).get(name)
        if value is not None and getattr(order, name) != value:
            setattr(order, name, value)
            changed.append(name)
    return changed


def _order_update(*, order: Order, data: dict, source: str, now: datetime) -> None:
    changed = _apply_details(order, data)
    if changed:
        order.save(update_fields=[*changed, "updated_at"])
    status = data.get("status")
    if status and status != order.status and status not in ORDER_TRANSITIONS[order.status]:
        raise Conflict(f"Order {order.number} cannot go from {order.status} to {status}.", field="status")
    _order_contents_update(order=order, data=data, now=now)
    if status and status != order.status:
        # The store's own moment when it says one (a delivery date), else when CareCRM heard of it.
        occurred_at = (
            data.get("delivered_at") if status == Status.DELIVERED and data.get("delivered_at") else now
        )
        order_transition(order=order, to=status, occurred_at=occurred_at, source=source)


def _order_item(order: Order, item: dict) -> OrderItem:
    cost = item.get("unit_cost")
    return OrderItem(
        order=order,
        **{
            **item,
            "unit_price": money.to_decimal(item["unit_price"], order.currency),
            "unit_cost": None if cost is None else money.to_decimal(cost, order.currency),
        },
    )


def _item_costs_update(order: Order, *, stored: list[OrderItem], items: list[dict]) -> None:
    """Costs are the shop's bookkeeping, not the order's contents: a store may send them late, even
    after shipping."""
    sent = {item["sku"]: _order_item(order, item).unit_cost for item in items if "unit_cost" in item}
    changed = [i for i in stored if i.sku in sent and i.unit_cost != sent[i.sku]]
    for item in changed:
        item.unit_cost = sent[item.sku]
    OrderItem.objects.bulk_update(changed, ["unit_cost"])


def _order_contents_update(*, order: Order, data: dict, now: datetime) -> None:
    """An edited order (an item added or removed, a new total) before anything of it has shipped.
    After shipping the contents are history: a different list is refused rather than ignored."""
    total = money.to_decimal(data["total"], order.currency) if "total" in data else order.total
    items = data.get("items")
    stored = list(order.items.all())
    current = {(i.sku, i.quantity, i.unit_price) for i in stored}
    wanted = (
        {(i["sku"], i["quantity"], money.to_decimal(i["unit_price"], order.currency)) for i in items}
        if items is not None
        else current
    )
    if wanted == current and items is not None:
        _item_costs_update(order, stored=stored, items=items)
    if total == order.total and wanted == current:
        return
    if order.status not in (Status.PENDING, Status.CONFIRMED) or order.shipments.exists():
        raise Conflict(
            f"Order {order.number} has shipped or closed; its items and total can no longer change.",
            field="items",
        )
    if wanted != current:
        order.items.all().delete()
        OrderItem.objects.bulk_create(_order_item(order, item) for item in items)
    previous = order.total
    if total != previous:
        order.total = total
        order.save(update_fields=["total", "updated_at"])
        Customer.objects.filter(pk=order.customer_id).update(
            total_spent=F("total_spent") + (total - previous)
        )
    event_record(
        customer=order.customer,
        kind="order_edited",
        occurred_at=now,
        summary=f"Order {order.number} edited: {previous} → {total} {order.currency}",
        data={
            "order": order.pk,
            "number": order.number,
            "total_before": str(previous),
            "total": str(total),
            "items": len(wanted),
        },
    )


def _customer_add_order(*, customer_id: int, total: Decimal, placed_at: datetime) -> None:
    Customer.objects.filter(pk=customer_id).update(
        orders_count=F("orders_count") + 1,
        total_spent=F("total_spent") + total,
        first_order_at=Least(Coalesce(F("first_order_at"), placed_at), placed_at),
        last_order_at=Greatest(Coalesce(F("last_order_at"), placed_at), placed_at),
    )


def _customer_remove_order(*, order: Order) -> None:
    """A cancelled order is no longer a purchase: take it out of the counts and the last-order date."""
    customer = Customer.objects.select_for_update().get(pk=order.customer_id)
    remaining = Order.objects.filter(customer=customer).exclude(status=Status.CANCELLED).exclude(pk=order.pk)
    bounds = remaining.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    Customer.objects.filter(pk=customer.pk).update(
        orders_count=F("orders_count") - 1,
        total_spent=F("total_spent") - (order.total - _refunded_of_purchase(order)),
        first_order_at=bounds["first"],
        last_order_at=bounds["last"],
    )


def _refunded_of_purchase(order: Order) -> Decimal:
    """The part of the order's refunds that gave back the price of the goods. Money charged over the
    total (a double charge) is given back first and was never spent; no more than the total was."""
    overpaid = max(order.amount_paid - order.total, Decimal(0))
    return min(max(order.amount_refunded - overpaid, Decimal(0)), order.total)


def _refundable(order: Order, *, besides: Refund | None = None) -> Decimal:
    """What can still be given back: what was paid (a cash-on-delivery order's total, paid at the door
    even when the store never reported it), less what was refunded or is owed already."""
    received = max(order.amount_paid, order.total if order.payment_method == Order.PaymentMethod.COD else 0)
    owed = order.refunds.filter(completed_at__isnull=True).exclude(pk=besides.pk if besides else None)
    owed_total = owed.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return max(received - order.amount_refunded - owed_total, Decimal(0))


def order_transition(*, order: Order, to: str, occurred_at: datetime, source: str, reason: str = "") -> Order:
    """Move the order to `to` if the map allows it, recording the change. Refuses any other move.
    The caller holds the order's row lock (select_for_update) or calls inside order_upsert."""
    if to not in Status.values:
        raise ValidationError({"status": [f"Unknown order status {to!r}."]})
    if to == order.status:
        return order
    if to not in ORDER_TRANSITIONS[order.status]:
        raise Conflict(f"Order {order.number} cannot go from {order.status} to {to}.", field="status")
    previous = order.status
    order.status, order.status_changed_at = to, occurred_at
    fields = ["status", "status_changed_at", "updated_at"]
    if to == Status.CANCELLED:
        order.cancelled_at = occurred_at
        fields.append("cancelled_at")
    if to == Status.DELIVERED:
        order.delivered_at = order.delivered_at or occurred_at
        fields.append("delivered_at")
    order.save(update_fields=fields)
    if to == Status.CANCELLED:
        _customer_remove_order(order=order)
        _order_cancelled_event(order, occurred_at=occurred_at, reason=reason)
    else:
        event_record(
            customer=order.customer,
            kind=f"order_{to}",
            occurred_at=occurred_at,
            summary=f"Order {order.number}: {Status(previous).label} → {Status(to).label}",
            data={"order": order.pk, "number": order.number, "from": previous, "to": to, "source": source},
        )
    return order


def _order_cancelled_event(order: Order, *, occurred_at: datetime, reason: str) -> None:
    event_record(
        customer=order.customer,
        kind="order_cancelled",
        occurred_at=occurred_at,
        summary=f"Order {order.number} cancelled" + (f": {reason}" if reason else ""),
        data={
            "order": order.pk,
            "number": order.number,
            "reason": reason,
            "amount_paid": str(order.amount_paid),
            "payment_method": order.payment_method,
        },
        key=f"order_cancelled:{order.pk}",
    )


def order_locked(order_id: int) -> Order:
    return Order.objects.select_for_update().select_related("customer").get(pk=order_id)


# --- Payments and refunds ---------------------------------------------------------------------------

PAYMENT_TRANSITIONS = {
    Payment.Status.FAILED: {Payment.Status.CAPTURED},
    Payment.Status.CAPTURED: {Payment.Status.REFUNDED},
    Payment.Status.REFUNDED: set(),
}


def payment_upsert(*, order: Order, data: dict, now: datetime | None = None) -> tuple[Payment, bool]:
    now = now or clock.now()
    with transaction.atomic():
        order = order_locked(order.pk)
        return _retrying_on_race(_payment_upsert_once, order=order, data=data, now=now)


def _payment_upsert_once(*, order: Order, data: dict, now: datetime) -> tuple[Payment, bool]:
    payment = Payment.objects.select_for_update().filter(external_id=data["external_id"]).first()
    if payment is not None and payment.order_id != order.pk:
        raise Conflict(f"Payment {payment.external_id} belongs to another order.", field="external_id")
    if data["currency"] != order.currency:
        raise ValidationError({"currency": [f"The order is in {order.currency}."]})
    amount = money.to_decimal(data["amount"], order.currency)
    if payment is None:
        payment = Payment.objects.create(
            order=order,
            external_id=data["external_id"],
            amount=amount,
            currency=order.currency,
            method=data.get("method", ""),
            status=data["status"],
            occurred_at=data["occurred_at"],
        )
        if payment.status == Payment.Status.REFUNDED:
            # First heard of once refunded: it was captured before, so the money came in, then went back.
            Order.objects.filter(pk=order.pk).update(amount_paid=F("amount_paid") + amount)
            order.refresh_from_db(fields=["amount_paid", "amount_refunded"])
        _payment_entered(order=order, payment=payment, now=now)
        return payment, True
    if payment.status != data["status"]:
        if data["status"] not in PAYMENT_TRANSITIONS[payment.status]:
            raise Conflict(
                f"Payment {payment.external_id} cannot go from {payment.status} to {data['status']}.",
                field="status",
            )
        payment.status = data["status"]
        payment.save(update_fields=["status"])
        _payment_entered(order=order, payment=payment, now=now, occurred_at=data["occurred_at"])
    return payment, False


def _payment_event(*, order: Order, payment: Payment, outcome: str, occurred_at: datetime) -> None:
    event_record(
        customer=order.customer,
        kind=f"payment_{outcome}",
        occurred_at=occurred_at,
        summary=f"Payment of {payment.amount} {payment.currency} {outcome} for order {order.number}",
        data={
            "order": order.pk,
            "payment": payment.pk,
            "amount": str(payment.amount),
            "method": payment.method,
        },
    )


def _payment_entered(
    *, order: Order, payment: Payment, now: datetime, occurred_at: datetime | None = None
) -> None:
    """A payment reached its status: move the order's money, record it, and look for trouble."""
    occurred_at = occurred_at or payment.occurred_at
    if payment.status == Payment.Status.FAILED:
        _payment_event(order=order, payment=payment, outcome="failed", occurred_at=occurred_at)
        return
    if payment.status == Payment.Status.CAPTURED:
        Order.objects.filter(pk=order.pk).update(amount_paid=F("amount_paid") + payment.amount)
        order.refresh_from_db(fields=["amount_paid", "amount_refunded"])
        _payment_event(order=order, payment=payment, outcome="captured", occurred_at=occurred_at)
        captured = order.payments.filter(status=Payment.Status.CAPTURED).count()
        if captured > 1 and order.amount_paid - order.amount_refunded > order.total:
            alert_raise(
                order=order,
                kind=OrderAlert.Kind.DOUBLE_CHARGE,
                now=now,
                detail=f"{captured} captured payments total {order.amount_paid} {order.currency} "
                f"for an order of {order.total} {order.currency}.",
                data={
                    "payments": list(
                        order.payments.filter(status="captured").values_list("external_id", flat=True)
                    )
                },
            )
        if order.status == Status.PENDING and order.is_paid_in_full:
            order_transition(order=order, to=Status.CONFIRMED, occurred_at=occurred_at, source="payment")
        return
    # refunded: the whole payment went back
    refund_record(
        order=order,
        amount=payment.amount,
        reason="Payment refunded",
        requested_at=occurred_at,
        completed_at=occurred_at,
        payment=payment,
        external_id=f"payment:{payment.external_id}",
        now=now,
    )


def refund_record(
    *,
    order: Order,
    amount: Decimal,
    reason: str,
    requested_at: datetime,
    completed_at: datetime | None,
    now: datetime,
    payment: Payment | None = None,
    external_id: str | None = None,
) -> Refund:
    """Record a refund owed (no `completed_at`) or made. The caller holds the order's lock."""
    amount = money.to_decimal(amount, order.currency)
    if amount <= 0:
        raise ValidationError({"amount": ["A refund is a positive amount."]})
    refund = Refund.objects.filter(external_id=external_id).first() if external_id else None
    if refund is not None and refund.order_id != order.pk:
        raise Conflict(f"Refund {external_id} belongs to another order.", field="external_id")
    if refund is None:
        if amount > _refundable(order):
            raise ValidationError(
                {
                    "amount": [
                        f"Only {_refundable(order)} {order.currency} of order {order.number} can be refunded."
                    ]
                }
            )
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            external_id=external_id,
            amount=amount,
            currency=order.currency,
            reason=reason,
            requested_at=requested_at,
        )
    if completed_at and not refund.completed_at:
        refund_complete(order=order, refund=refund, completed_at=completed_at, now=now)
    return refund


def refund_upsert(*, order: Order, data: dict, now: datetime | None = None) -> tuple[Refund, bool]:
    """A refund the store reports: owed while `completed_at` is empty, made once it is set."""
    now = now or clock.now()
    with transaction.atomic():
        order = order_locked(order.pk)
        existing = Refund.objects.select_for_update().filter(external_id=data["external_id"]).first()
        if existing is not None and existing.order_id != order.pk:
            raise Conflict(f"Refund {existing.external_id} belongs to another order.", field="external_id")
        owed = order.refunds.filter(completed_at__isnull=True, external_id__startswith="return:").first()
        if existing is None and owed is not None:
            # The store pays what a resolved return made owed: its refund is that one, at its amount.
            amount = money.to_decimal(data["amount"], order.currency)
            if amount > _refundable(order, besides=owed):
                raise ValidationError(
                    {"amount": [f"Only {_refundable(order, besides=owed)} can be refunded."]}
                )
            owed.external_id, owed.amount = data["external_id"], amount
            owed.reason = data.get("reason") or owed.reason
            owed.save(update_fields=["external_id", "amount", "reason"])
        refund = refund_record(
            order=order,
            amount=data["amount"],
            reason=data.get("reason", ""),
            requested_at=data["requested_at"],
            completed_at=data.get("completed_at"),
            now=now,
            external_id=data["external_id"],
        )
        return refund, existing is None


def refund_complete(*, order: Order, refund: Refund, completed_at: datetime, now: datetime) -> Refund:
    done = Refund.objects.filter(pk=refund.pk, completed_at__isnull=True).update(completed_at=completed_at)
    if not done:
        return refund
    refund.completed_at = completed_at
    order.refresh_from_db(fields=["amount_paid", "amount_refunded"])
    refunded_before = _refunded_of_purchase(order)
    Order.objects.filter(pk=order.pk).update(amount_refunded=F("amount_refunded") + refund.amount)
    order.refresh_from_db(fields=["amount_paid", "amount_refunded"])
    spend_returned = _refunded_of_purchase(order) - refunded_before
    if spend_returned and order.status != Status.CANCELLED:
        # Money given back is money not spent; a cancelled order has left the total already.
        Customer.objects.filter(pk=order.customer_id).update(total_spent=F("total_spent") - spend_returned)
    event_record(
        customer=order.customer,
        kind="refund_issued",
        occurred_at=completed_at,
        summary=f"Refund of {refund.amount} {refund.currency} for order {order.number}",
        data={"order": order.pk, "refund": refund.pk, "amount": str(refund.amount), "reason": refund.reason},
        key=f"refund_issued:{refund.pk}",
    )
    # A refund settles the alerts it answers.
    settled = (
        [] if order.refunds.filter(completed_at__isnull=True).exists() else [OrderAlert.Kind.REFUND_OVERDUE]
    )
    if order.amount_paid - order.amount_refunded <= (0 if order.status == Status.CANCELLED else order.total):
        settled += [OrderAlert.Kind.DOUBLE_CHARGE, OrderAlert.Kind.UNREFUNDED_CANCELLATION]
    OrderAlert.objects.filter(order=order, kind__in=settled, resolved_at__isnull=True).update(resolved_at=now)
    return refund


# --- Alerts -----------------------------------------------------------------------------------------


def alert_raise(
    *, order: Order, kind: str, now: datetime, detail: str = "", data: dict | None = None
) -> OrderAlert | None:
    """Open an alert unless one of the same kind is open for the order. Returns the new alert or None.
    The `order_alert` event lets the tickets app open one urgent ticket per alert."""
    try:
        with transaction.atomic():
            alert = OrderAlert.objects.create(
                order=order,
                kind=kind,
                urgent=kind in OrderAlert.URGENT,
                detail=detail,
                data=data or {},
                detected_at=now,
            )
    except IntegrityError:
        return None
    event_record(
        customer=order.customer,
        kind="order_alert",
        occurred_at=now,
        summary=f"{OrderAlert.Kind(kind).label}: order {order.number}",
        data={
            "order": order.pk,
            "number": order.number,
            "alert": alert.pk,
            "kind": kind,
            "urgent": alert.urgent,
            "detail": detail,
        },
    )
    return alert


def alert_resolve(*, alert: OrderAlert, actor: str, now: datetime | None = None) -> bool:
    """Close an open alert. Returns False when it was closed already (by a refund, or another person)."""
    now = now or clock.now()
    with transaction.atomic():
        closed = OrderAlert.objects.filter(pk=alert.pk, resolved_at__isnull=True).update(resolved_at=now)
        if closed:
            order = Order.objects.select_related("customer").get(pk=alert.order_id)
            event_record(
                customer=order.customer,
                kind="order_alert_resolved",
                occurred_at=now,
                summary=f"{alert.get_kind_display()} on order {order.number} resolved by {actor}",
                data={"order": order.pk, "alert": alert.pk, "kind": alert.kind, "actor": actor},
            )
    return bool(closed)


# --- Shipments and tracking -------------------------------------------------------------------------


def shipment_upsert(*, order: Order, data: dict, now: datetime | None = None) -> tuple[Shipment, bool]:
    now = now or clock.now()
    with transaction.atomic():
        order = order_locked(order.pk)
        return _retrying_on_race(_shipment_upsert_once, order=order, data=data, now=now)


def _shipment_upsert_once(*, order: Order, data: dict, now: datetime) -> tuple[Shipment, bool]:
    shipment = Shipment.objects.select_for_update().filter(external_id=data["external_id"]).first()
    carrier = carriers.carrier_code(data.get("carrier", ""))
    if shipment is not None:
        if shipment.order_id != order.pk:
            raise Conflict(f"Shipment {shipment.external_id} belongs to another order.", field="external_id")
        changed = []
        for name, value in (
            ("carrier", carrier),
            ("carrier_name", data.get("carrier", "")),
            ("tracking_number", data.get("tracking_number", "")),
        ):
            if value and getattr(shipment, name) != value:
                setattr(shipment, name, value)
                changed.append(name)
        if changed:
            shipment.save(update_fields=changed)
        return shipment, False
    if order.status in (Status.CANCELLED, Status.RETURNED):
        raise Conflict(f"Order {order.number} is {order.status}; it cannot be shipped.", field="order")
    shipment = Shipment.objects.create(
        order=order,
        external_id=data["external_id"],
        carrier=carrier,
        carrier_name=data.get("carrier", ""),
        tracking_number=data.get("tracking_number", ""),
        shipped_at=data["shipped_at"],
    )
    _shipment_items(order=order, shipment=shipment, requested=data.get("items"))
    url = carriers.tracking_url(shipment.carrier, shipment.tracking_number)
    event_record(
        customer=order.customer,
        kind="shipment_created",
        occurred_at=shipment.shipped_at,
        summary=f"Order {order.number} shipped with {shipment}",
        data={
            "order": order.pk,
            "number": order.number,
            "shipment": shipment.pk,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "tracking_url": url,
        },
        key=f"shipment_created:{shipment.pk}",
    )
    fully = not _unshipped(order)
    target = Status.SHIPPED if fully else Status.PARTIALLY_SHIPPED
    if order.status != target and target in ORDER_TRANSITIONS[order.status]:
        order_transition(order=order, to=target, occurred_at=shipment.shipped_at, source="shipment")
    return shipment, True


def _unshipped(order: Order) -> dict[int, int]:
    """Order item id -> quantity not yet in any shipment."""
    shipped = dict(
        ShipmentItem.objects.filter(shipment__order=order)
        .values("order_item")
        .annotate(n=Sum("quantity"))
        .values_list("order_item", "n")
    )
    return {
        item.pk: item.quantity - shipped.get(item.pk, 0)
        for item in order.items.all()
        if item.quantity > shipped.get(item.pk, 0)
    }


def _shipment_items(*, order: Order, shipment: Shipment, requested: list[dict] | None) -> None:
    remaining = _unshipped(order)
    if requested is None:
        # No item list: the shipment carries whatever was still to ship.
        lines = remaining
    else:
        by_sku = {item.sku: item.pk for item in order.items.all()}
        lines = {}
        for line in requested:
            item_id = by_sku.get(line["sku"])
            if item_id is None:
                raise ValidationError({"items": [f"Order {order.number} has no item {line['sku']}."]})
            lines[item_id] = lines.get(item_id, 0) + line["quantity"]
            if lines[item_id] > remaining.get(item_id, 0):
                raise ValidationError(
                    {"items": [f"Only {remaining.get(item_id, 0)} of {line['sku']} are left to ship."]}
                )
    ShipmentItem.objects.bulk_create(
        ShipmentItem(shipment=shipment, order_item_id=item_id, quantity=quantity)
        for item_id, quantity in lines.items()
    )


SHIPMENT_EVENT_KINDS = {
    Shipment.Status.OUT_FOR_DELIVERY: "shipment_out_for_delivery",
    Shipment.Status.DELIVERED: "shipment_delivered",
    Shipment.Status.EXCEPTION: "shipment_exception",
    Shipment.Status.RETURNED_TO_SENDER: "shipment_returned_to_sender",
}


def tracking_event_add(
    *, shipment: Shipment, data: dict, now: datetime | None = None
) -> tuple[TrackingEvent, bool]:
    """Add a carrier scan. The same status at the same time twice is one event."""
    now = now or clock.now()
    with transaction.atomic():
        order = order_locked(shipment.order_id)
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        tracking, created = TrackingEvent.objects.get_or_create(
            shipment=shipment,
            status=data["status"],
            occurred_at=data["occurred_at"],
            defaults={"location": data.get("location", ""), "description": data.get("description", "")},
        )
        if not created:
            return tracking, False
        latest = shipment.tracking_events.order_by("-occurred_at", "-id").first()
        if latest.pk == tracking.pk:
            shipment.status = tracking.status
        if tracking.status == Shipment.Status.DELIVERED and not shipment.delivered_at:
            shipment.delivered_at = tracking.occurred_at
        shipment.save(update_fields=["status", "delivered_at"])
        kind = SHIPMENT_EVENT_KINDS.get(tracking.status)
        # A scan older than what the customer already knows (out for delivery, reported after the
        # delivery) stays in the tracking history but is no news: no event, so no email either.
        stale = latest.pk != tracking.pk and tracking.status != Shipment.Status.DELIVERED
        if kind and not stale:
            event_record(
                customer=order.customer,
                kind=kind,
                occurred_at=tracking.occurred_at,
                summary=f"Order {order.number}: {tracking.get_status_display()}"
                + (f" ({tracking.location})" if tracking.location else ""),
                data={
                    "order": order.pk,
                    "number": order.number,
                    "shipment": shipment.pk,
                    "tracking_event": tracking.pk,
                    "location": tracking.location,
                    "description": tracking.description,
                    "tracking_url": carriers.tracking_url(shipment.carrier, shipment.tracking_number),
                },
                # Each delivery problem is news of its own; the other steps happen once per parcel.
                key=f"{kind}:{tracking.pk if tracking.status == Shipment.Status.EXCEPTION else shipment.pk}",
            )
        if tracking.status == Shipment.Status.DELIVERED:
            _order_delivered_if_complete(order=order, delivered_at=tracking.occurred_at)
        return tracking, True


def _order_delivered_if_complete(*, order: Order, delivered_at: datetime) -> None:
    if _unshipped(order) or order.shipments.filter(delivered_at__isnull=True).exists():
        return
    last = order.shipments.aggregate(last=Max("delivered_at"))["last"] or delivered_at
    if Status.DELIVERED in ORDER_TRANSITIONS[order.status]:
        order_transition(order=order, to=Status.DELIVERED, occurred_at=last, source="tracking")


# --- Returns ----------------------------------------------------------------------------------------


def _month_day(value: str, year: int) -> date:
    month, day = (int(part) for part in value.split("-"))
    return date(year, month, day)


def return_deadline(order: Order, *, kind: str = Return.Kind.RETURN) -> date | None:
    """The last day a return of this kind can be started, or None when there is no limit (recalls)
    or it cannot be started yet (nothing delivered)."""
    rules = settings.CARECRM
    if kind == Return.Kind.RECALL:
        return None
    if kind == Return.Kind.PRICE_PROTECTION:
        return timezone.localdate(order.placed_at + timedelta(days=rules["PRICE_PROTECTION_DAYS"]))
    if not order.delivered_at:
        return None
    deadline = timezone.localdate(order.delivered_at + timedelta(days=rules["RETURN_WINDOW_DAYS"]))
    placed = timezone.localdate(order.placed_at)
    season_from = _month_day(rules["HOLIDAY_RETURNS_PLACED_FROM"], placed.year)
    season_to = _month_day(rules["HOLIDAY_RETURNS_PLACED_TO"], placed.year)
    if season_from <= placed <= season_to:
        until = _month_day(rules["HOLIDAY_RETURNS_UNTIL"], placed.year)
        if until <= season_to:
            until = until.replace(year=placed.year + 1)
        deadline = max(deadline, until)
    return deadline


def return_check_allowed(*, order: Order, kind: str, now: datetime) -> None:
    """Raise a ValidationError saying why this order cannot take a request of `kind` now."""
    if order.status in (Status.CANCELLED, Status.RETURNED):
        raise ValidationError({"order": [f"Order {order.number} is {Status(order.status).label.lower()}."]})
    if kind in (Return.Kind.RETURN, Return.Kind.REPAIR) and not order.delivered_at:
        raise ValidationError({"order": ["A return can be started once the order has been delivered."]})
    deadline = return_deadline(order, kind=kind)
    if deadline and timezone.localdate(now) > deadline:
        raise ValidationError({"order": [f"The window for this request closed on {deadline:%d %B %Y}."]})


def return_request(
    *,
    order: Order,
    kind: str,
    reason: str,
    resolution: str,
    items: list[dict],
    source: str,
    now: datetime | None = None,
) -> Return:
    """Open a return, price-protection claim, repair or recall request for some of an order's items.
    `items` are {"order_item": id, "quantity": n}."""
    now = now or clock.now()
    if not reason.strip():
        raise ValidationError({"reason": ["Tell us what is wrong."]})
    with transaction.atomic():
        order = order_locked(order.pk)
        return_check_allowed(order=order, kind=kind, now=now)
        available = _returnable(order)
        lines = {}
        for line in items:
            item_id, quantity = int(line["order_item"]), int(line["quantity"])
            if quantity <= 0:
                continue
            if quantity > available.get(item_id, 0):
                raise ValidationError({"items": ["That is more than can still be returned."]})
            lines[item_id] = quantity
        if not lines:
            raise ValidationError({"items": ["Choose at least one item."]})
        ret = Return.objects.create(
            order=order,
            rma=_rma_number(),
            kind=kind,
            reason=reason.strip(),
            resolution=resolution,
            requested_at=now,
            status_changed_at=now,
        )
        ReturnItem.objects.bulk_create(
            ReturnItem(return_request=ret, order_item_id=item_id, quantity=q) for item_id, q in lines.items()
        )
        event_record(
            customer=order.customer,
            kind="return_requested",
            occurred_at=now,
            summary=f"{ret.get_kind_display()} {ret.rma} requested for order {order.number}",
            data={
                "order": order.pk,
                "number": order.number,
                "return": ret.pk,
                "rma": ret.rma,
                "kind": kind,
                "resolution": resolution,
                "source": source,
            },
        )
    return ret


def _returnable(order: Order) -> dict[int, int]:
    """Order item id -> quantity not already in an open or completed return."""
    taken = dict(
        ReturnItem.objects.filter(return_request__order=order)
        .exclude(return_request__status__in=[Return.Status.REJECTED, Return.Status.CANCELLED])
        .values("order_item")
        .annotate(n=Sum("quantity"))
        .values_list("order_item", "n")
    )
    return {item.pk: item.quantity - taken.get(item.pk, 0) for item in order.items.all()}


def _all_returned_for_refund(order: Order) -> bool:
    """Every item is back for its money. Returns still open may yet be cancelled, and an item exchanged
    for a replacement is still the customer's: neither makes the order `returned`."""
    back = dict(
        ReturnItem.objects.filter(
            return_request__order=order,
            return_request__kind=Return.Kind.RETURN,
            return_request__resolution=Return.Resolution.REFUND,
            return_request__status=Return.Status.RESOLVED,
        )
        .values("order_item")
        .annotate(n=Sum("quantity"))
        .values_list("order_item", "n")
    )
    return all(back.get(item.pk, 0) >= item.quantity for item in order.items.all())


def _rma_number() -> str:
    return f"RMA-{secrets.token_hex(4).upper()}"


def return_transition(
    *, ret: Return, to: str, actor: str, now: datetime | None = None, note: str = "", instructions: str = ""
) -> Return:
    now = now or clock.now()
    with transaction.atomic():
        order = order_locked(ret.order_id)
        ret = Return.objects.select_for_update().get(pk=ret.pk)
        if to not in RETURN_TRANSITIONS.get(ret.status, set()):
            raise Conflict(f"{ret.rma} cannot go from {ret.status} to {to}.", field="status")
        ret.status, ret.status_changed_at = to, now
        fields = ["status", "status_changed_at"]
        if instructions:
            ret.instructions = instructions
            fields.append("instructions")
        if note:
            ret.staff_note = note
            fields.append("staff_note")
        if to == Return.Status.RECEIVED:
            ret.received_at = now
            fields.append("received_at")
        if to == Return.Status.RESOLVED:
            ret.resolved_at = now
            fields.append("resolved_at")
        ret.save(update_fields=fields)
        event_record(
            customer=order.customer,
            kind=f"return_{to}",
            occurred_at=now,
            summary=f"{ret.get_kind_display()} {ret.rma}: {Return.Status(to).label.lower()}",
            data={
                "order": order.pk,
                "number": order.number,
                "return": ret.pk,
                "rma": ret.rma,
                "actor": actor,
                "note": note,
            },
        )
        if to == Return.Status.RESOLVED and ret.resolution == Return.Resolution.REFUND:
            amount = sum(
                (
                    line.order_item.unit_price * line.quantity
                    for line in ret.items.select_related("order_item")
                ),
                Decimal(0),
            )
            # Never more than is left to give back: a discount or an earlier refund lowered it.
            amount = min(amount, _refundable(order))
            if ret.kind == Return.Kind.RETURN and amount > 0:
                refund_record(
                    order=order,
                    amount=amount,
                    reason=f"Return {ret.rma}",
                    requested_at=now,
                    completed_at=None,
                    now=now,
                    external_id=f"return:{ret.rma}",
                )
        if (
            to == Return.Status.RESOLVED
            and ret.kind == Return.Kind.RETURN
            and ret.resolution == Return.Resolution.REFUND
            and Status.RETURNED in ORDER_TRANSITIONS[order.status]
            and _all_returned_for_refund(order)
        ):
            order_transition(order=order, to=Status.RETURNED, occurred_at=now, source=actor)
    return ret


# --- Requests from the customer ---------------------------------------------------------------------


def order_cancel_request(*, order: Order, reason: str, now: datetime | None = None) -> OrderAlert | None:
    """A customer asks to cancel. Before shipping this is for staff to act on; after, it is a return."""
    now = now or clock.now()
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.status not in (Status.PENDING, Status.CONFIRMED):
            raise ValidationError(
                {"order": ["This order has already left us: start a return once it arrives."]}
            )
        return alert_raise(
            order=order,
            kind=OrderAlert.Kind.CANCELLATION_REQUESTED,
            now=now,
            detail=reason.strip() or "The customer asked to cancel.",
        )


def order_problem_report(*, order: Order, message: str, now: datetime | None = None) -> OrderAlert | None:
    now = now or clock.now()
    if not message.strip():
        raise ValidationError({"message": ["Tell us what went wrong."]})
    with transaction.atomic():
        order = order_locked(order.pk)
        alert = alert_raise(
            order=order, kind=OrderAlert.Kind.PROBLEM_REPORTED, now=now, detail=message.strip()
        )
        if alert is None:
            # One open report per order; a further message still lands on the customer's timeline.
            event_record(
                customer=order.customer,
                kind="problem_reported",
                occurred_at=now,
                summary=f"Order {order.number}: {message.strip()[:200]}",
                data={"order": order.pk, "number": order.number, "message": message.strip()},
            )
        return alert


# --- Time-driven checks (tick) ----------------------------------------------------------------------


def payment_problems_detect(*, now: datetime) -> str:
    """Cancelled prepaid orders still holding the customer's money, and refunds owed for too long."""
    rules = settings.CARECRM
    raised = 0
    cancelled_before = now - timedelta(days=rules["UNREFUNDED_CANCELLATION_DAYS"])
    unrefunded = (
        Order.objects.filter(
            status=Status.CANCELLED,
            payment_method=Order.PaymentMethod.PREPAID,
            cancelled_at__lte=cancelled_before,
            amount_paid__gt=F("amount_refunded"),
        )
        .exclude(alerts__kind=OrderAlert.Kind.UNREFUNDED_CANCELLATION)
        .select_related("customer")
    )
    for order in unrefunded.iterator():
        with transaction.atomic():
            raised += (
                alert_raise(
                    order=order,
                    kind=OrderAlert.Kind.UNREFUNDED_CANCELLATION,
                    now=now,
                    detail=f"Cancelled {order.cancelled_at:%d %b}; "
                    f"{order.amount_paid - order.amount_refunded} {order.currency} not refunded.",
                )
                is not None
            )
    overdue = (
        Refund.objects.filter(
            completed_at__isnull=True, requested_at__lte=now - timedelta(days=rules["REFUND_DUE_DAYS"])
        )
        # One open alert per order: a multi-valued exclude(a & b) would match a and b on different alerts.
        .exclude(
            order__in=OrderAlert.objects.filter(
                kind=OrderAlert.Kind.REFUND_OVERDUE, resolved_at__isnull=True
            ).values("order_id")
        )
        .select_related("order__customer")
    )
    for refund in overdue.iterator():
        with transaction.atomic():
            raised += (
                alert_raise(
                    order=refund.order,
                    kind=OrderAlert.Kind.REFUND_OVERDUE,
                    now=now,
                    detail=f"Refund of {refund.amount} {refund.currency} "
                    f"owed since {refund.requested_at:%d %b}.",
                    data={"refund": refund.pk},
                )
                is not None
            )
    return f"{raised} payment alerts raised"


def deliveries_late_detect(*, now: datetime) -> str:
    """Orders past their promised date, and unshipped ones due tomorrow: found before the customer asks."""
    # Dates are the shop's: "today" and "promised for the 25th" are read in its time zone.
    today = timezone.localdate(now)
    alerts = OrderAlert.objects.filter(kind=OrderAlert.Kind.LATE_DELIVERY)
    # Each order is flagged at most once as at risk and once as late: an at-risk order that then misses
    # its date is flagged again, a resolved flag is not raised anew.
    told_late = alerts.filter(data__state="late").values("order_id")
    told_at_all = alerts.values("order_id")
    at_risk = (
        Order.objects.filter(
            (Q(promised_delivery_date__lt=today) & ~Q(pk__in=told_late))
            | (
                Q(
                    promised_delivery_date__lte=today + timedelta(days=1),
                    status__in=[Status.PENDING, Status.CONFIRMED],
                )
                & ~Q(pk__in=told_at_all)
            ),
            delivered_at__isnull=True,
            cancelled_at__isnull=True,
        )
        # An order the store sent as already delivered (a backfill) has no delivered_at, yet is not late.
        .exclude(status__in=[Status.DELIVERED, Status.RETURNED])
        .select_related("customer")
    )
    raised = 0
    for order in at_risk.iterator():
        late = order.promised_delivery_date < today
        with transaction.atomic():
            if late:
                # The at-risk flag, if still open, gives way to the late one.
                alerts.filter(order=order, resolved_at__isnull=True).update(resolved_at=now)
            raised += (
                alert_raise(
                    order=order,
                    kind=OrderAlert.Kind.LATE_DELIVERY,
                    now=now,
                    detail=(
                        f"Promised for {order.promised_delivery_date:%d %b}; not delivered."
                        if late
                        else f"Promised for {order.promised_delivery_date:%d %b}; not shipped yet."
                    ),
                    data={"state": "late" if late else "at_risk"},
                )
                is not None
            )
    return f"{raised} late deliveries flagged"
