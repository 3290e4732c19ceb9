"""Reads of orders for pages. Writes are orders.services'."""

from collections.abc import Collection

from django.db.models import Prefetch, Q

from customers.models import CustomerIdentity
from customers.services import normalize_email
from orders.models import (
    Order,
    OrderAlert,
    OrderItem,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    TrackingEvent,
)

# What a customer asked for on the tracking page that staff have not dealt with yet.
CUSTOMER_REQUEST_KINDS = (OrderAlert.Kind.CANCELLATION_REQUESTED, OrderAlert.Kind.PROBLEM_REPORTED)


def order_matching(*, number: str, email: str) -> tuple[int, str] | None:
    """(id, number) of the order with this number whose customer has this email address, else None.

    One query on the number's unique index whether the number is unknown or the email wrong, so the
    two cannot be told apart by what it does or how long it takes. The number is tried as typed and
    upper-cased, since numbers printed as A-1001 get typed as a-1001.
    """
    email = normalize_email(email)
    number = (number or "").strip()
    if not email or not number:
        return None
    row = (
        Order.objects.filter(number__in={number, number.upper()})
        .filter(
            Q(customer__email=email)
            | Q(customer__identities__kind=CustomerIdentity.Kind.EMAIL, customer__identities__value=email)
        )
        .order_by("pk")
        .values_list("pk", "number")
        .first()
    )
    return tuple(row) if row else None


def order_for_tracking(*, number: str, among: Collection[int] | None = None) -> Order | None:
    """The order with everything its tracking page shows, in a fixed number of queries however many
    items, shipments, scans and returns it has: the order, then one query each for its items, its
    shipments, what each shipment carries, their tracking events (newest first, as `timeline`), its
    returns, their items, and its open customer requests (as `open_requests`).

    `among` limits the answer to these order ids (the ones a visitor has proved to be theirs).
    """
    if "\x00" in number:
        return None  # no order number holds a NUL, and PostgreSQL refuses one in a query
    orders = Order.objects.filter(number=number)
    if among is not None:
        orders = orders.filter(pk__in=list(among))
    return (
        orders.select_related("customer")
        .prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.order_by("id")),
            Prefetch("shipments", queryset=Shipment.objects.order_by("shipped_at", "id")),
            Prefetch(
                "shipments__items", queryset=ShipmentItem.objects.select_related("order_item").order_by("id")
            ),
            Prefetch(
                "shipments__tracking_events",
                queryset=TrackingEvent.objects.order_by("-occurred_at", "-id"),
                to_attr="timeline",
            ),
            Prefetch("returns", queryset=Return.objects.order_by("-requested_at", "-id")),
            Prefetch(
                "returns__items", queryset=ReturnItem.objects.select_related("order_item").order_by("id")
            ),
            Prefetch(
                "alerts",
                queryset=OrderAlert.objects.filter(
                    kind__in=CUSTOMER_REQUEST_KINDS, resolved_at__isnull=True
                ).order_by("detected_at", "id"),
                to_attr="open_requests",
            ),
        )
        .order_by()
        .first()
    )
