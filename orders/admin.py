"""Orders in the admin. What the store sends (orders, payments, shipments, scans) is read here, never
edited: the store is its source, and a change made here would bypass the events and the customer's
stats. Staff act on what is theirs through actions that call the services: returns move through their
states, alerts are resolved. A move the service refuses is shown as a message, not an error page."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import format_html

from carecrm.admin import ReadOnlyAdmin, ReadOnlyInline
from carecrm.errors import Conflict
from orders import carriers, services
from orders.models import (
    Notification,
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


def _actor(request) -> str:
    return request.user.get_username()


def _reason(exc: Exception) -> str:
    if isinstance(exc, Conflict):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- Orders -----------------------------------------------------------------------------------------


class OrderItemInline(ReadOnlyInline):
    model = OrderItem
    fields = ["sku", "name", "category", "quantity", "unit_price"]


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["external_id", "status", "amount", "currency", "method", "occurred_at"]


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ["external_id", "amount", "currency", "reason", "requested_at", "completed_at"]


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ["external_id", "carrier", "tracking_number", "status", "shipped_at", "delivered_at"]
    show_change_link = True


class ReturnInline(ReadOnlyInline):
    model = Return
    fields = ["rma", "kind", "resolution", "status", "requested_at"]
    show_change_link = True


class DeliveryPromiseFilter(admin.SimpleListFilter):
    title = "delivery promise"
    parameter_name = "promise"

    def lookups(self, request, model_admin):
        return [
            ("on_time", "Delivered on time"),
            ("late", "Delivered late"),
            ("overdue", "Overdue, not delivered"),
        ]

    def queryset(self, request, queryset):
        delivered_by = Q(delivered_at__date__lte=F("promised_delivery_date"))
        match self.value():
            case "on_time":
                return queryset.filter(delivered_by, delivered_at__isnull=False)
            case "late":
                return queryset.filter(
                    delivered_at__isnull=False, promised_delivery_date__isnull=False
                ).exclude(delivered_by)
            case "overdue":
                return queryset.filter(
                    delivered_at__isnull=True,
                    cancelled_at__isnull=True,
                    promised_delivery_date__lt=timezone.localdate(),
                )
        return queryset


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "customer",
        "placed_at",
        "status",
        "payment_method",
        "total",
        "currency",
        "amount_paid",
        "amount_refunded",
        "promised_delivery_date",
        "delivered_at",
    ]
    list_filter = ["status", "payment_method", DeliveryPromiseFilter, "currency", "gift_wrap"]
    search_fields = ["=number", "=external_id", "customer__email"]
    list_select_related = ["customer"]
    date_hierarchy = "placed_at"
    inlines = [OrderItemInline, PaymentInline, RefundInline, ShipmentInline, ReturnInline]
    fieldsets = [
        (None, {"fields": ["number", "external_id", "customer", "placed_at", "status", "status_changed_at"]}),
        (
            "Money",
            {"fields": ["currency", "total", "payment_method", "amount_paid", "amount_refunded"]},
        ),
        (
            "Delivery",
            {
                "fields": [
                    "shipping_address",
                    "gift_wrap",
                    "delivery_slot",
                    "note",
                    "promised_delivery_date",
                    "delivered_at",
                    "cancelled_at",
                ]
            },
        ),
    ]


# --- Shipments --------------------------------------------------------------------------------------


class TrackingEventInline(ReadOnlyInline):
    model = TrackingEvent
    fields = ["occurred_at", "status", "location", "description"]


class ShipmentItemInline(ReadOnlyInline):
    model = ShipmentItem
    fields = ["order_item", "quantity"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "order", "status", "shipped_at", "delivered_at", "tracking_link"]
    list_filter = ["status", "carrier"]
    search_fields = ["=tracking_number", "=external_id", "=order__number", "order__customer__email"]
    list_select_related = ["order"]
    date_hierarchy = "shipped_at"
    inlines = [ShipmentItemInline, TrackingEventInline]
    fields = [
        "order",
        "external_id",
        "carrier",
        "carrier_name",
        "tracking_number",
        "tracking_link",
        "status",
        "shipped_at",
        "delivered_at",
    ]
    readonly_fields = ["tracking_link"]

    @admin.display(description="Tracking")
    def tracking_link(self, shipment: Shipment) -> str:
        url = carriers.tracking_url(shipment.carrier, shipment.tracking_number)
        if not url:
            return shipment.tracking_number or "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', url, "Carrier page"
        )


# --- Returns ----------------------------------------------------------------------------------------


class ReturnItemInline(ReadOnlyInline):
    model = ReturnItem
    fields = ["order_item", "quantity"]


@admin.register(Return)
class ReturnAdmin(admin.ModelAdmin):
    list_display = ["rma", "order", "kind", "resolution", "status", "requested_at", "status_changed_at"]
    list_filter = ["status", "kind", "resolution"]
    search_fields = ["=rma", "=order__number", "order__customer__email"]
    list_select_related = ["order"]
    date_hierarchy = "requested_at"
    inlines = [ReturnItemInline]
    show_full_result_count = False
    # Staff write the instructions (the label link) before approving, so the approval email carries them.
    fields = [
        "rma",
        "order",
        "kind",
        "resolution",
        "status",
        "reason",
        "instructions",
        "staff_note",
        "requested_at",
        "status_changed_at",
        "received_at",
        "resolved_at",
    ]
    readonly_fields = [
        "rma",
        "order",
        "kind",
        "resolution",
        "status",
        "reason",
        "requested_at",
        "status_changed_at",
        "received_at",
        "resolved_at",
    ]
    actions = ["approve", "mark_received", "resolve", "reject"]

    def has_add_permission(self, request):
        return False  # the customer starts a return from the tracking page

    def has_delete_permission(self, request, obj=None):
        return False

    def _move(self, request, queryset, to: str) -> None:
        moved, refused = [], []
        for ret in queryset.order_by("pk"):
            try:
                services.return_transition(ret=ret, to=to, actor=_actor(request))
            except (Conflict, ValidationError) as exc:
                refused.append(f"{ret.rma}: {_reason(exc)}")
            else:
                moved.append(ret.rma)
        label = Return.Status(to).label.lower()
        if moved:
            self.message_user(request, f"{len(moved)} {label}: {', '.join(moved)}.", messages.SUCCESS)
        if refused:
            self.message_user(request, f"Not {label}: {'; '.join(refused)}", messages.ERROR)

    @admin.action(description="Approve the selected requests", permissions=["change"])
    def approve(self, request, queryset):
        self._move(request, queryset, Return.Status.APPROVED)

    @admin.action(description="Mark the selected returns received", permissions=["change"])
    def mark_received(self, request, queryset):
        self._move(request, queryset, Return.Status.RECEIVED)

    @admin.action(description="Resolve the selected returns", permissions=["change"])
    def resolve(self, request, queryset):
        self._move(request, queryset, Return.Status.RESOLVED)

    @admin.action(description="Reject the selected requests", permissions=["change"])
    def reject(self, request, queryset):
        self._move(request, queryset, Return.Status.REJECTED)


# --- Alerts and notifications -----------------------------------------------------------------------


class AlertStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() in ("open", "resolved"):
            return queryset.filter(resolved_at__isnull=self.value() == "open")
        return queryset


@admin.register(OrderAlert)
class OrderAlertAdmin(admin.ModelAdmin):
    list_display = ["kind", "urgent", "order", "detail", "detected_at", "resolved_at"]
    list_filter = [AlertStateFilter, "urgent", "kind"]
    search_fields = ["=order__number", "order__customer__email"]
    list_select_related = ["order"]
    date_hierarchy = "detected_at"
    show_full_result_count = False
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False  # raised by the detectors and the customer's requests

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The change permission is for the action; the alert itself is a record and stays as raised.
        return [field.name for field in OrderAlert._meta.fields]

    @admin.action(description="Mark the selected alerts resolved", permissions=["change"])
    def mark_resolved(self, request, queryset):
        closed = sum(
            services.alert_resolve(alert=alert, actor=_actor(request)) for alert in queryset.order_by("pk")
        )
        already = queryset.count() - closed
        if closed:
            self.message_user(request, f"{closed} alerts resolved.", messages.SUCCESS)
        if already:
            self.message_user(request, f"{already} were resolved already.", messages.WARNING)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The record of each service email: what went to whom, and what became of it."""

    list_display = ["created_at", "kind", "to", "subject", "status", "sent_at", "order"]
    list_filter = ["status", "kind"]
    search_fields = ["=to", "=order__number", "=key", "=message_id"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
