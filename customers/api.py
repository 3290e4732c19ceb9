import zoneinfo

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from carecrm.api.fields import MomentField
from carecrm.api.schema import NamedByAnyOf
from customers.models import Customer
from customers.services import normalize_email


@extend_schema_field({"type": "string", "anyOf": [{"format": "email"}, {"maxLength": 0}]})
class StoredEmailField(serializers.CharField):
    """An email address, or empty for a customer the store knows only by external_id or phone."""


class CustomerSerializer(serializers.ModelSerializer):
    email = StoredEmailField(read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    total_spent = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    average_order_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True
    )
    rfm = serializers.CharField(
        read_only=True, help_text='Recency, frequency and monetary quintiles, such as "545".'
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "email",
            "phone",
            "first_name",
            "last_name",
            "registered_at",
            "acquisition_channel",
            "marketing_opt_in",
            "marketing_opt_in_at",
            "marketing_opt_in_source",
            "country",
            "city",
            "time_zone",
            "tags",
            "lifecycle_stage",
            "stage_changed_at",
            "orders_count",
            "total_spent",
            "first_order_at",
            "last_order_at",
            "average_order_value",
            "rfm",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerWriteSerializer(NamedByAnyOf, serializers.Serializer):
    """What a store sends. Only the fields present are changed on an existing customer."""

    identifiers = ("external_id", "email")

    external_id = serializers.CharField(max_length=100, required=False, allow_null=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    registered_at = MomentField(required=False)
    acquisition_channel = serializers.CharField(max_length=50, required=False, allow_blank=True)
    marketing_opt_in = serializers.BooleanField(required=False)
    marketing_opt_in_at = MomentField(required=False)
    marketing_opt_in_source = serializers.CharField(max_length=50, required=False, allow_blank=True)
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        allow_blank=True,
        error_messages={"invalid": "Country is a two-letter ISO 3166 code such as DE."},
    )
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    time_zone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="IANA time zone such as Europe/Berlin."
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=50), max_length=50, required=False)

    def validate_time_zone(self, value):
        if value and value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(f"{value!r} is not an IANA time zone such as Europe/Berlin.")
        return value

    def validate_country(self, value):
        return value.upper()

    def validate(self, attrs):
        if not attrs.get("external_id") and not attrs.get("email"):
            raise serializers.ValidationError({"external_id": ["Send an external_id or an email."]})
        return attrs


class CustomerFilter(django_filters.FilterSet):
    email = django_filters.CharFilter(method="filter_email")
    external_id = django_filters.CharFilter(max_length=100)
    stage = django_filters.ChoiceFilter(field_name="lifecycle_stage", choices=Customer.Stage.choices)

    class Meta:
        model = Customer
        fields = ["email", "external_id", "stage"]

    def filter_email(self, queryset, name, value):
        return queryset.filter(identities__kind="email", identities__value=normalize_email(value))
