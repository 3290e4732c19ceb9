"""The tickets API: a store or a phone system opens tickets (POST tickets/), lists them, and posts raw
inbound email (POST inbound-email/, `Content-Type: message/rfc822`)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from carecrm.api.parsers import PayloadTooLarge, RawEmailParser
from carecrm.api.schema import NamedByAnyOf
from customers.models import Customer
from tickets import services
from tickets.inbound import EmailTooLarge, email_ingest
from tickets.models import Message, Ticket


class TicketCustomerSerializer(NamedByAnyOf, serializers.Serializer):
    identifiers = ("email", "external_id")

    email = serializers.EmailField(required=False)
    external_id = serializers.CharField(required=False, max_length=100)

    def validate(self, attrs):
        if not attrs.get("email") and not attrs.get("external_id"):
            raise serializers.ValidationError("Send the customer's email or external_id.")
        return attrs


class TicketSerializer(serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    order = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "customer",
            "order",
            "channel",
            "subject",
            "status",
            "priority",
            "category",
            "created_at",
            "updated_at",
            "due_at",
            "first_responded_at",
            "resolved_at",
        ]
        read_only_fields = fields

    due_at = serializers.DateTimeField(source="first_response_due_at", read_only=True)


class TicketOpenSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Ticket.Channel.choices)
    customer = TicketCustomerSerializer()
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField(max_length=100_000)
    order_number = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


# What a 64-bit id column holds. Past it SQLite cannot even compare (OverflowError), so a bigger number
# is refused as input rather than sent to the database.
SMALLEST_ID, LARGEST_ID = -(2**63), 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64", "minimum": SMALLEST_ID, "maximum": LARGEST_ID})
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number an id column can hold (a NumberFilter takes 1.5, and numbers up to 1e50)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=SMALLEST_ID, max_value=LARGEST_ID, **kwargs)


class TicketFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Ticket.Status.choices)
    customer = IdFilter(field_name="customer_id")

    class Meta:
        model = Ticket
        fields = ["status", "customer"]


class TicketViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = Ticket.objects.order_by("-created_at", "-pk")
    serializer_class = TicketSerializer
    filterset_class = TicketFilter

    @extend_schema(request=TicketOpenSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        incoming = TicketOpenSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        email = data["customer"].get("email", "")
        if not email:
            customer = Customer.objects.filter(external_id=data["customer"]["external_id"]).first()
            if customer is None or not customer.email:
                raise ValidationError(
                    {"customer": ["No customer with that external_id and an email address."]}
                )
            email = customer.email
        try:
            opened = services.ticket_open(
                channel=data["channel"],
                email=email,
                subject=data["subject"],
                body=data["body"],
                order_number=data["order_number"],
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response(TicketSerializer(opened.ticket).data, status=status.HTTP_201_CREATED)


class InboundEmailFiledSerializer(serializers.Serializer):
    """What became of a posted message."""

    ticket = serializers.IntegerField(allow_null=True, help_text="The ticket it opened or joined.")
    reference = serializers.CharField(allow_null=True, help_text="Its reference, such as CR-000123.")
    message = serializers.IntegerField(allow_null=True, help_text="The message it became on the ticket.")
    created = serializers.BooleanField(help_text="False when the same Message-ID was filed before.")
    ignored = serializers.CharField(
        required=False, help_text="Why nothing was filed (202 only): an auto-reply, a bounce, a mail loop."
    )


class InboundEmailView(APIView):
    """A raw RFC 822 message, as an ESP's inbound route or a mail server's pipe delivers it."""

    parser_classes = [RawEmailParser]
    # Posting mail adds a message to a ticket: the permission the integration role holds for it.
    queryset = Message.objects.none()

    @extend_schema(
        request={"message/rfc822": OpenApiTypes.BINARY},
        responses={
            201: InboundEmailFiledSerializer,
            200: InboundEmailFiledSerializer,
            202: InboundEmailFiledSerializer,
        },
        description="201: filed as a new ticket or message; 200: the same Message-ID was filed before, "
        "nothing new; 202: read but not filed (an auto-reply, a bounce, a loop), `ignored` says why.",
    )
    def post(self, request):
        raw = request.data
        if not isinstance(raw, bytes) or not raw.strip():
            raise ValidationError(
                {"message": ["Send the raw message as the body, Content-Type message/rfc822."]}
            )
        try:
            filed = email_ingest(raw=raw)
        except EmailTooLarge as error:
            raise PayloadTooLarge(str(error)) from error
        body = {
            "ticket": filed.ticket.pk if filed.ticket else None,
            "reference": filed.ticket.reference if filed.ticket else None,
            "message": filed.message.pk if filed.message else None,
            "created": filed.created,
        }
        if filed.ignored:
            return Response({**body, "ignored": filed.ignored}, status=status.HTTP_202_ACCEPTED)
        return Response(body, status=status.HTTP_201_CREATED if filed.created else status.HTTP_200_OK)
