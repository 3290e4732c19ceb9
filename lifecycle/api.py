from django.db.models import prefetch_related_objects
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from customers.api import CustomerFilter, CustomerSerializer, CustomerWriteSerializer
from customers.models import Customer
from lifecycle import selectors, services
from lifecycle.models import Event


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "kind", "occurred_at", "summary", "data"]


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers as the store knows them, with the summary CareCRM keeps (stage, orders, spend)."""

    queryset = Customer.objects.filter(merged_into__isnull=True)
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.action == "timeline" else queryset.prefetch_related("tags")

    @extend_schema(
        request=CustomerWriteSerializer,
        responses={201: CustomerSerializer, 200: CustomerSerializer},
        description="Upsert by external_id (else email): 201 when created, 200 when updated.",
    )
    def create(self, request):
        payload = CustomerWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        customer, created = services.customer_upsert(data=payload.validated_data, source="api")
        prefetch_related_objects([customer], "tags")
        return Response(
            CustomerSerializer(customer).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=EventSerializer, filterset_class=None)
    def timeline(self, request, pk=None):
        """The customer's journey, newest first."""
        customer = self.get_object()
        page = self.paginate_queryset(selectors.customer_timeline(customer=customer))
        return self.get_paginated_response(EventSerializer(page, many=True).data)
