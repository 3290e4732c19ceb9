"""Carts the store pushes, and their abandonment: a cart not checked out and unchanged for
CART_ABANDONED_AFTER_MINUTES records `cart_abandoned` once (campaigns and agents act on it). The job
claims carts in batches with a conditional update, so two ticks never report one cart twice."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from carecrm import clock, money
from lifecycle.services import event_record, events_dispatched_together
from orders.models import Cart
from orders.services import store_customer


def cart_upsert(*, data: dict, source: str, now: datetime | None = None) -> tuple[Cart, bool]:
    """Create or update the cart `data` names by external_id. A change older than what is stored (a
    retry arriving late) changes nothing."""
    now = now or clock.now()
    currency = data["currency"]
    fields = {
        "currency": currency,
        "value": money.to_decimal(data["value"], currency),
        "items": [
            {
                **item,
                **{
                    field: str(money.to_decimal(item[field], currency))
                    for field in ("unit_price", "unit_cost")
                    if item.get(field) is not None
                },
            }
            for item in data["items"]
        ],
        "updated_at": data["updated_at"],
        "checked_out": data.get("checked_out", False),
    }
    with transaction.atomic():
        cart = Cart.objects.select_for_update().filter(external_id=data["external_id"]).first()
        if cart is None:
            customer = store_customer(ref=data["customer"], at=data["updated_at"], source=source)
            cart, created = Cart.objects.get_or_create(
                external_id=data["external_id"], defaults={**fields, "customer": customer, "received_at": now}
            )
            if created:
                return cart, True
            cart = Cart.objects.select_for_update().get(pk=cart.pk)
        if fields["updated_at"] >= cart.updated_at:
            for name, value in fields.items():
                setattr(cart, name, value)
            cart.received_at = now
            cart.save()
    return cart, False


def carts_abandoned_detect(*, now: datetime, batch: int = 1000) -> str:
    """A tick job: record `cart_abandoned` for each cart left long enough, once."""
    cutoff = now - timedelta(minutes=settings.CARECRM["CART_ABANDONED_AFTER_MINUTES"])
    found = 0
    while True:
        with transaction.atomic(), events_dispatched_together():
            carts = list(
                Cart.objects.select_for_update(skip_locked=True)
                .filter(checked_out=False, abandoned_at__isnull=True, updated_at__lte=cutoff)
                .select_related("customer")
                .order_by("updated_at", "pk")[:batch]
            )
            if not carts:
                break
            Cart.objects.filter(pk__in=[cart.pk for cart in carts]).update(abandoned_at=now)
            for cart in carts:
                event_record(
                    customer=cart.customer,
                    kind="cart_abandoned",
                    occurred_at=cart.updated_at,
                    summary=f"Left a cart of {cart.value} {cart.currency} ({len(cart.items)} items)",
                    data={
                        "cart": cart.pk,
                        "external_id": cart.external_id,
                        "value": str(cart.value),
                        "currency": cart.currency,
                        "skus": [item.get("sku") for item in cart.items][:50],
                    },
                    key=f"cart_abandoned:{cart.pk}",
                )
            found += len(carts)
        if len(carts) < batch:
            break
    return f"{found} abandoned carts"
