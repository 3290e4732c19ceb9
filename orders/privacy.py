"""The customer's orders and everything after the sale. Erasure keeps the orders, their items and their
money (the books need them) and drops where they went and what the customer wrote."""

from carecrm.privacy import Holder
from orders.models import (
    Cart,
    Notification,
    Order,
    OrderAlert,
    OrderItem,
    Payment,
    Refund,
    Return,
    ReturnItem,
    Shipment,
    TrackingEvent,
)


def export(customer_id: int) -> dict:
    by_order = {"order__customer_id": customer_id}
    return {
        "orders": list(Order.objects.filter(customer_id=customer_id).order_by("placed_at", "id").values()),
        "items": list(OrderItem.objects.filter(**by_order).order_by("pk").values()),
        "payments": list(Payment.objects.filter(**by_order).order_by("pk").values()),
        "refunds": list(Refund.objects.filter(**by_order).order_by("pk").values()),
        "shipments": list(Shipment.objects.filter(**by_order).order_by("pk").values()),
        "tracking_events": list(
            TrackingEvent.objects.filter(shipment__order__customer_id=customer_id).order_by("pk").values()
        ),
        "returns": list(Return.objects.filter(**by_order).order_by("pk").values()),
        "return_items": list(
            ReturnItem.objects.filter(return_request__order__customer_id=customer_id).order_by("pk").values()
        ),
        "notifications": list(Notification.objects.filter(**by_order).order_by("pk").values()),
        "alerts": list(OrderAlert.objects.filter(**by_order).order_by("pk").values()),
        "carts": list(Cart.objects.filter(customer_id=customer_id).order_by("pk").values()),
    }


def erase(customer_id: int) -> dict:
    by_order = {"order__customer_id": customer_id}
    orders = 0
    # The country stays with the order: taxes are due where the goods went.
    for order in Order.objects.filter(customer_id=customer_id).only("pk", "shipping_address"):
        country = (order.shipping_address or {}).get("country", "")
        Order.objects.filter(pk=order.pk).update(
            shipping_address={"country": country} if country else {}, note="", gift_wrap=False
        )
        orders += 1
    return {
        "orders": orders,
        "returns": Return.objects.filter(**by_order).update(reason="", instructions="", staff_note=""),
        "refunds": Refund.objects.filter(**by_order).update(reason=""),
        "notifications": Notification.objects.filter(**by_order).update(to="", subject=""),
        "alerts": OrderAlert.objects.filter(**by_order).update(detail="", data={}),
        # The last scans name the customer's town; the statuses and times stay for delivery reports.
        "tracking_events": TrackingEvent.objects.filter(shipment__order__customer_id=customer_id).update(
            location="", description=""
        ),
    }


HOLDER = Holder(name="orders", export=export, erase=erase, models=("orders.order", "orders.cart"), order=30)
