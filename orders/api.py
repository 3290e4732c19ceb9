import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from carecrm import money
from carecrm.api.fields import DayField, MomentField
from carecrm.api.schema import NamedByAnyOf
from orders import carriers, carts, services
from orders.models import (
    Cart,
    Order,
    OrderItem,
    Payment,
    Refund,
    Return,
    Shipment,
    ShipmentItem,
    TrackingEvent,
)

MAX_AMOUNT = {"max_digits": money.MAX_DIGITS, "decimal_places": money.DECIMAL_PLACES}


@extend_schema_field(serializers.ChoiceField(choices=sorted(money.ISO_4217)))
class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(min_length=3, max_length=3, **kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data).upper()
        try:
            return money.validate_currency(code)
        except Exception as exc:
            raise serializers.ValidationError(str(getattr(exc, "message", exc))) from exc


# --- What the store sends ---------------------------------------------------------------------------


class CustomerRefSerializer(NamedByAnyOf, serializers.Serializer):
    identifiers = ("external_id", "email")

    external_id = serializers.CharField(max_length=100, required=False)
    email = serializers.EmailField(max_length=254, required=False)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs.get("external_id") and not attrs.get("email"):
            raise serializers.ValidationError("Name the customer by external_id or email.")
        return attrs


class OrderItemWriteSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=300)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    unit_price = serializers.DecimalField(min_value=0, **MAX_AMOUNT)
    unit_cost = serializers.DecimalField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text="What the item cost the shop; with it, a customer's value counts margin, not revenue.",
        **MAX_AMOUNT,
    )


def _check_item_amounts(currency: str, items: list[dict]) -> None:
    for index, item in enumerate(items):
        for field in ("unit_price", "unit_cost"):
            if item.get(field) is None:
                continue
            try:
                money.check_precision(item[field], currency)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"items": {index: {field: exc.messages}}}) from exc


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.RegexField(r"^[A-Za-z]{2}$", required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class SpecialInstructionsSerializer(serializers.Serializer):
    gift_wrap = serializers.BooleanField(required=False)
    delivery_slot = serializers.CharField(max_length=100, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class OrderWriteSerializer(serializers.Serializer):
    """An order as the store sends it; the one validation of an order, used by the API and import_orders."""

    external_id = serializers.CharField(max_length=100, required=False, allow_null=True)
    number = serializers.CharField(max_length=50)
    customer = CustomerRefSerializer()
    placed_at = MomentField()
    status = serializers.ChoiceField(choices=Order.Status.choices, required=False)
    currency = CurrencyField()
    total = serializers.DecimalField(min_value=0, **MAX_AMOUNT)
    payment_method = serializers.ChoiceField(choices=Order.PaymentMethod.choices, required=False)
    items = OrderItemWriteSerializer(many=True, max_length=500)
    coupon_codes = serializers.ListField(
        child=serializers.CharField(max_length=50),
        max_length=10,
        required=False,
        help_text="Coupon codes used at checkout; a code CareCRM issued is redeemed by this order.",
    )
    shipping_address = AddressSerializer(required=False)
    special_instructions = SpecialInstructionsSerializer(required=False)
    promised_delivery_date = DayField(required=False, allow_null=True)
    delivered_at = MomentField(
        required=False, allow_null=True, help_text="For an order sent as already delivered (a backfill)."
    )

    def validate(self, attrs):
        _check_amounts(attrs["currency"], total=attrs["total"])
        _check_item_amounts(attrs["currency"], attrs["items"])
        return attrs

    def validate_coupon_codes(self, codes):
        return list(dict.fromkeys(code.strip().upper() for code in codes if code.strip()))

    def validate_items(self, items):
        skus = [item["sku"] for item in items]
        if len(skus) != len(set(skus)):
            raise serializers.ValidationError("Each sku appears once; send its quantity instead.")
        return items


def _check_amounts(currency: str, **amounts) -> None:
    for name, amount in amounts.items():
        try:
            money.check_precision(amount, currency)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({name: exc.messages}) from exc


class PaymentWriteSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    amount = serializers.DecimalField(min_value=0, **MAX_AMOUNT)
    currency = CurrencyField()
    method = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    occurred_at = MomentField()

    def validate(self, attrs):
        _check_amounts(attrs["currency"], amount=attrs["amount"])
        return attrs


class RefundWriteSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    amount = serializers.DecimalField(min_value=0, **MAX_AMOUNT)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    requested_at = MomentField()
    completed_at = MomentField(required=False, allow_null=True)


class ShipmentLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class ShipmentWriteSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    shipped_at = MomentField()
    items = ShipmentLineSerializer(many=True, required=False, max_length=500)


class TrackingEventWriteSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Shipment.Status.choices)
    occurred_at = MomentField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- What CareCRM answers ---------------------------------------------------------------------------


class OrderItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderItem
        fields = ["id", "sku", "name", "category", "quantity", "unit_price", "unit_cost"]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "external_id", "amount", "currency", "method", "status", "occurred_at"]


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "external_id", "amount", "currency", "reason", "requested_at", "completed_at"]


class TrackingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["id", "status", "occurred_at", "location", "description"]


class ShipmentItemSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_item.sku")

    class Meta:
        model = ShipmentItem
        fields = ["sku", "quantity"]


class ShipmentSerializer(serializers.ModelSerializer):
    tracking_url = serializers.SerializerMethodField()
    tracking_events = TrackingEventSerializer(many=True, read_only=True)
    items = ShipmentItemSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "external_id",
            "carrier",
            "carrier_name",
            "tracking_number",
            "tracking_url",
            "status",
            "shipped_at",
            "delivered_at",
            "items",
            "tracking_events",
        ]

    def get_tracking_url(self, shipment) -> str:
        return carriers.tracking_url(shipment.carrier, shipment.tracking_number)


class ReturnSerializer(serializers.ModelSerializer):
    class Meta:
        model = Return
        fields = [
            "id",
            "rma",
            "kind",
            "reason",
            "resolution",
            "status",
            "requested_at",
            "received_at",
            "resolved_at",
        ]


class OrderSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    special_instructions = serializers.SerializerMethodField()
    on_time = serializers.BooleanField(read_only=True, allow_null=True)
    items = OrderItemSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)
    shipments = ShipmentSerializer(many=True, read_only=True)
    returns = ReturnSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "external_id",
            "number",
            "customer",
            "placed_at",
            "status",
            "currency",
            "total",
            "amount_paid",
            "amount_refunded",
            "payment_method",
            "coupon_codes",
            "shipping_address",
            "special_instructions",
            "promised_delivery_date",
            "on_time",
            "delivered_at",
            "cancelled_at",
            "items",
            "payments",
            "refunds",
            "shipments",
            "returns",
            "created_at",
            "updated_at",
        ]

    def get_special_instructions(self, order) -> dict:
        return {"gift_wrap": order.gift_wrap, "delivery_slot": order.delivery_slot, "note": order.note}


class OrderListSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "external_id",
            "number",
            "customer",
            "placed_at",
            "status",
            "currency",
            "total",
            "amount_paid",
            "amount_refunded",
            "payment_method",
            "promised_delivery_date",
            "delivered_at",
        ]


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Order.Status.choices)
    number = django_filters.CharFilter(max_length=50)
    external_id = django_filters.CharFilter(max_length=100)

    class Meta:
        model = Order
        fields = ["customer", "status", "number", "external_id"]


def order_detail_queryset():
    """One order with everything after the sale, in a fixed number of queries."""
    return Order.objects.prefetch_related(
        "items",
        "payments",
        "refunds",
        "returns",
        Prefetch(
            "shipments",
            queryset=Shipment.objects.prefetch_related(
                "tracking_events",
                Prefetch("items", queryset=ShipmentItem.objects.select_related("order_item")),
            ),
        ),
    )


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders as the store pushes them, with everything that happened after the sale."""

    queryset = Order.objects.all()
    filterset_class = OrderFilter

    def get_queryset(self):
        return order_detail_queryset() if self.action != "list" else Order.objects.all()

    def get_serializer_class(self):
        return OrderListSerializer if self.action == "list" else OrderSerializer

    def _answer(self, order_id: int, created: bool):
        order = order_detail_queryset().get(pk=order_id)
        return Response(
            OrderSerializer(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        request=OrderWriteSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer},
        description="Upsert by external_id (else number): 201 when created, 200 when updated.",
    )
    def create(self, request):
        payload = OrderWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order, created = services.order_upsert(data=payload.validated_data, source="api")
        return self._answer(order.pk, created)

    def _order_for_write(self, pk) -> Order:
        order = get_object_or_404(Order.objects.all(), pk=pk)
        self.check_object_permissions(self.request, order)
        return order

    def _write_for_order(self, pk, write_serializer, upsert, answer_serializer, answer_queryset=None):
        """Validate the request against `write_serializer`, `upsert` the row for the order and answer
        it (read back through `answer_queryset` when given): 201 when created, 200 when it was there."""
        order = self._order_for_write(pk)
        payload = write_serializer(data=self.request.data)
        payload.is_valid(raise_exception=True)
        row, created = upsert(order=order, data=payload.validated_data)
        if answer_queryset is not None:
            row = answer_queryset.get(pk=row.pk)
        return Response(answer_serializer(row).data, status=201 if created else 200)

    @extend_schema(request=PaymentWriteSerializer, responses={201: PaymentSerializer, 200: PaymentSerializer})
    @action(detail=True, methods=["post"], serializer_class=PaymentWriteSerializer)
    def payments(self, request, pk=None):
        return self._write_for_order(pk, PaymentWriteSerializer, services.payment_upsert, PaymentSerializer)

    @extend_schema(request=RefundWriteSerializer, responses={201: RefundSerializer, 200: RefundSerializer})
    @action(detail=True, methods=["post"], serializer_class=RefundWriteSerializer)
    def refunds(self, request, pk=None):
        return self._write_for_order(pk, RefundWriteSerializer, services.refund_upsert, RefundSerializer)

    @extend_schema(
        request=ShipmentWriteSerializer, responses={201: ShipmentSerializer, 200: ShipmentSerializer}
    )
    @action(detail=True, methods=["post"], serializer_class=ShipmentWriteSerializer)
    def shipments(self, request, pk=None):
        return self._write_for_order(
            pk,
            ShipmentWriteSerializer,
            services.shipment_upsert,
            ShipmentSerializer,
            # The answer lists the shipment's scans and items: prefetched, not read one row at a time.
            answer_queryset=Shipment.objects.prefetch_related("tracking_events", "items__order_item"),
        )


# --- Carts ------------------------------------------------------------------------------------------


class CartWriteSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    customer = CustomerRefSerializer()
    currency = CurrencyField()
    value = serializers.DecimalField(min_value=0, **MAX_AMOUNT)
    items = OrderItemWriteSerializer(many=True, max_length=500)
    updated_at = MomentField(help_text="When the shopper last changed the cart.")
    checked_out = serializers.BooleanField(default=False)

    def validate(self, attrs):
        _check_amounts(attrs["currency"], value=attrs["value"])
        _check_item_amounts(attrs["currency"], attrs["items"])
        return attrs


class CartSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cart
        fields = [
            "id",
            "external_id",
            "customer",
            "currency",
            "value",
            "items",
            "updated_at",
            "checked_out",
            "abandoned_at",
        ]
        read_only_fields = fields


class CartViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The store's carts: upserted by external_id; abandonment is CareCRM's to notice."""

    queryset = Cart.objects.all()
    serializer_class = CartSerializer

    @extend_schema(
        request=CartWriteSerializer,
        responses={201: CartSerializer, 200: CartSerializer},
        description="Upsert by external_id: 201 when created, 200 when updated. A cart not checked out "
        "and unchanged for CARECRM_CART_ABANDONED_AFTER_MINUTES records cart_abandoned once.",
    )
    def create(self, request):
        payload = CartWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cart, created = carts.cart_upsert(data=payload.validated_data, source="api")
        return Response(
            CartSerializer(cart).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ShipmentViewSet(viewsets.GenericViewSet):
    queryset = Shipment.objects.all()
    serializer_class = TrackingEventWriteSerializer

    @extend_schema(
        request=TrackingEventWriteSerializer,
        responses={201: TrackingEventSerializer, 200: TrackingEventSerializer},
        description="Add a carrier scan; the same status at the same time twice is one event (200).",
    )
    @action(detail=True, methods=["post"])
    def events(self, request, pk=None):
        shipment = self.get_object()
        payload = TrackingEventWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tracking, created = services.tracking_event_add(shipment=shipment, data=payload.validated_data)
        return Response(TrackingEventSerializer(tracking).data, status=201 if created else 200)
