from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from carecrm import money
from customers.models import Customer


def _money_field(**kwargs):
    return models.DecimalField(max_digits=money.MAX_DIGITS, decimal_places=money.DECIMAL_PLACES, **kwargs)


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # placed, waiting for payment or confirmation
        CONFIRMED = "confirmed", "Confirmed"  # paid (prepaid) or accepted (cash on delivery)
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        RETURNED = "returned", "Returned"

    class PaymentMethod(models.TextChoices):
        PREPAID = "prepaid", "Prepaid"
        COD = "cod", "Cash on delivery"

    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    number = models.CharField(max_length=50, unique=True, help_text="The order number the customer sees.")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    placed_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(max_length=3, validators=[money.validate_currency])
    total = _money_field()
    payment_method = models.CharField(
        max_length=8, choices=PaymentMethod.choices, default=PaymentMethod.PREPAID
    )
    shipping_address = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    gift_wrap = models.BooleanField(default=False)
    delivery_slot = models.CharField(max_length=100, blank=True, default="")
    note = models.TextField(max_length=2000, blank=True, default="")
    # Codes the customer entered at checkout; campaigns redeem the ones it issued (coupon_redeemed).
    coupon_codes = models.JSONField(default=list, blank=True)
    promised_delivery_date = models.DateField(null=True, blank=True)

    # Summary columns, kept with F() updates in the transaction of the payment or refund.
    amount_paid = _money_field(default=0)
    amount_refunded = _money_field(default=0)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            # a customer's orders, newest first (customer view, /track/ lookups by customer)
            models.Index(fields=["customer", "-placed_at"], name="order_customer_idx"),
            # late deliveries: open orders past their promised date
            models.Index(
                fields=["promised_delivery_date"],
                condition=Q(delivered_at__isnull=True, cancelled_at__isnull=True),
                name="order_undelivered_promise_idx",
            ),
        ]

    def __str__(self):
        return f"Order {self.number}"

    @property
    def is_paid_in_full(self) -> bool:
        return self.amount_paid - self.amount_refunded >= self.total

    @property
    def on_time(self) -> bool | None:
        """Delivered by the promised date; None while that cannot be told yet."""
        if not self.promised_delivery_date or not self.delivered_at:
            return None
        return timezone.localdate(self.delivered_at) <= self.promised_delivery_date


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    category = models.CharField(max_length=100, blank=True, default="")
    quantity = models.PositiveIntegerField()
    unit_price = _money_field()
    unit_cost = _money_field(
        null=True,
        blank=True,
        help_text="What the item cost the shop, when the store sends it: value counts margin.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "sku"], name="order_item_sku_unique")]

    def __str__(self):
        return f"{self.quantity} x {self.name}"

    @property
    def line_total(self):
        return self.unit_price * self.quantity


class Payment(models.Model):
    class Status(models.TextChoices):
        CAPTURED = "captured", "Captured"
        FAILED = "failed", "Failed"
        REFUNDED = "refunded", "Refunded"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    external_id = models.CharField(max_length=100, unique=True)
    amount = _money_field()
    currency = models.CharField(max_length=3, validators=[money.validate_currency])
    method = models.CharField(
        max_length=50, blank=True, default="", help_text="card, paypal, cod, bank transfer…"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self):
        return f"{self.status} {self.amount} {self.currency}"


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="refunds"
    )
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    amount = _money_field()
    currency = models.CharField(max_length=3, validators=[money.validate_currency])
    reason = models.CharField(max_length=300, blank=True, default="")
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the refund is owed.")

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [
            # overdue refunds: requested, not completed
            models.Index(
                fields=["requested_at"], condition=Q(completed_at__isnull=True), name="refund_open_idx"
            ),
        ]

    def __str__(self):
        return f"Refund {self.amount} {self.currency}"


class Carrier(models.TextChoices):
    FEDEX = "fedex", "FedEx"
    UPS = "ups", "UPS"
    DHL = "dhl", "DHL"
    USPS = "usps", "USPS"
    ROYAL_MAIL = "royal_mail", "Royal Mail"
    BLUE_DART = "blue_dart", "Blue Dart"
    DELHIVERY = "delhivery", "Delhivery"
    OWN_FLEET = "own_fleet", "Our own delivery"
    OTHER = "other", "Other carrier"


class Shipment(models.Model):
    class Status(models.TextChoices):
        LABEL_CREATED = "label_created", "Label created"
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Delivery problem"
        RETURNED_TO_SENDER = "returned_to_sender", "Returned to sender"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    external_id = models.CharField(max_length=100, unique=True)
    carrier = models.CharField(max_length=20, choices=Carrier.choices)
    carrier_name = models.CharField(
        max_length=100, blank=True, default="", help_text="As the store named it."
    )
    tracking_number = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LABEL_CREATED)
    shipped_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shipped_at", "id"]
        indexes = [
            # the console's search box: a tracking number a customer reads out
            models.Index(fields=["tracking_number"], name="shipment_tracking_idx"),
        ]

    def __str__(self):
        return f"{self.get_carrier_display()} {self.tracking_number}".strip()


class ShipmentItem(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="shipment_items")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "order_item"], name="shipment_item_unique"),
        ]

    def __str__(self):
        return f"{self.quantity} of item {self.order_item_id}"


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    status = models.CharField(max_length=20, choices=Shipment.Status.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True, default="")
    description = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            # A carrier feed re-sends what it sent: the same status at the same time is one event.
            models.UniqueConstraint(
                fields=["shipment", "status", "occurred_at"], name="tracking_event_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"


class Return(models.Model):
    class Kind(models.TextChoices):
        RETURN = "return", "Return"
        PRICE_PROTECTION = "price_protection", "Price protection claim"
        REPAIR = "repair", "Repair"
        RECALL = "recall", "Recall"

    class Resolution(models.TextChoices):
        REFUND = "refund", "Refund"
        REPLACEMENT = "replacement", "Replacement"
        REPAIR = "repair", "Repair"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RECEIVED = "received", "Received"
        RESOLVED = "resolved", "Resolved"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    rma = models.CharField("RMA number", max_length=30, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RETURN)
    reason = models.TextField(max_length=2000)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, default=Resolution.REFUND)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    instructions = models.TextField(blank=True, default="", help_text="Label link or how to send it back.")
    staff_note = models.TextField(blank=True, default="")
    requested_at = models.DateTimeField()
    status_changed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.rma}"


class ReturnItem(models.Model):
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="return_items")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["return_request", "order_item"], name="return_item_unique"),
        ]

    def __str__(self):
        return f"{self.quantity} of item {self.order_item_id}"


class OrderAlert(models.Model):
    """Something about an order that needs a person now: a double charge, a cancelled prepaid order
    still not refunded, an overdue refund, a late delivery. One open alert per order and kind."""

    class Kind(models.TextChoices):
        DOUBLE_CHARGE = "double_charge", "Charged twice"
        UNREFUNDED_CANCELLATION = "unrefunded_cancellation", "Cancelled but not refunded"
        REFUND_OVERDUE = "refund_overdue", "Refund overdue"
        LATE_DELIVERY = "late_delivery", "Late delivery"
        CANCELLATION_REQUESTED = "cancellation_requested", "Customer asked to cancel"
        PROBLEM_REPORTED = "problem_reported", "Customer reported a problem"

    URGENT = {Kind.DOUBLE_CHARGE, Kind.UNREFUNDED_CANCELLATION, Kind.REFUND_OVERDUE}

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    urgent = models.BooleanField(default=False)
    detail = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-urgent", "-detected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="order_alert_open_unique",
            ),
        ]
        indexes = [
            # the console's list of open alerts, urgent first
            models.Index(
                fields=["-urgent", "-detected_at"],
                condition=Q(resolved_at__isnull=True),
                name="alert_open_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.order}"


class Notification(models.Model):
    """A service email about an order: recorded before it is sent, so each goes out at most once."""

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "Shipped"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Delivery problem"
        REFUND_ISSUED = "refund_issued", "Refund issued"
        RETURN_UPDATE = "return_update", "Return update"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        # Claimed by one sender: never sent again, even if that process died before it could say how it went.
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (opted out, no address, or too old)"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(
        max_length=200, unique=True, help_text="What makes it once-only: kind and subject."
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message_id = models.CharField(max_length=300, blank=True, default="")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="notification_pending_idx"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.to}"


class Cart(models.Model):
    """A shopper's cart as the store last sent it. Left unchecked-out for CART_ABANDONED_AFTER_MINUTES,
    it records `cart_abandoned` once."""

    external_id = models.CharField(max_length=100, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="carts")
    currency = models.CharField(max_length=3, validators=[money.validate_currency])
    value = _money_field()
    items = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    # The store's time of the last change to the cart.
    updated_at = models.DateTimeField()
    checked_out = models.BooleanField(default=False)
    abandoned_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The abandonment job: carts still open, oldest change first.
            models.Index(
                fields=["updated_at"],
                condition=Q(checked_out=False, abandoned_at__isnull=True),
                name="cart_open_updated",
            ),
        ]

    def __str__(self):
        return f"Cart {self.external_id}"


class ProductPair(models.Model):
    """How many orders held both products: the "bought together" table the recommendations job
    rebuilds from order history."""

    sku = models.CharField(max_length=100)
    other_sku = models.CharField(max_length=100)
    orders = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sku", "other_sku"], name="product_pair_once")]

    def __str__(self):
        return f"{self.sku} + {self.other_sku}: {self.orders}"
