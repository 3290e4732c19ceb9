from django.db.models import QuerySet

from customers.models import Customer
from lifecycle.models import Event


def customer_timeline(*, customer: Customer) -> QuerySet[Event]:
    return Event.objects.filter(customer=customer).order_by("-occurred_at", "-id")
