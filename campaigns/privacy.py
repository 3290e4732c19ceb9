"""The customer's journeys, campaign messages with what the ESP reported, coupons, and suppressed
addresses. Erasure keeps the counts the campaign results need and drops addresses and subjects. A
suppressed address stays suppressed: it is what keeps a complaint from being mailed again should the
address come back with a new customer."""

from campaigns.models import Coupon, Delivery, DeliveryEvent, Enrollment, Suppression
from carecrm.privacy import Holder
from customers.models import Customer, CustomerIdentity


def _addresses(customer_id: int) -> list[str]:
    emails = set(
        CustomerIdentity.objects.filter(
            customer_id=customer_id, kind=CustomerIdentity.Kind.EMAIL
        ).values_list("value", flat=True)
    )
    emails |= set(Customer.objects.filter(pk=customer_id).exclude(email="").values_list("email", flat=True))
    return sorted(emails)


def export(customer_id: int) -> dict:
    return {
        "enrollments": list(Enrollment.objects.filter(customer_id=customer_id).order_by("pk").values()),
        "deliveries": list(Delivery.objects.filter(customer_id=customer_id).order_by("pk").values()),
        "delivery_events": list(
            DeliveryEvent.objects.filter(delivery__customer_id=customer_id).order_by("pk").values()
        ),
        "coupons": list(Coupon.objects.filter(customer_id=customer_id).order_by("pk").values()),
        "suppressions": list(Suppression.objects.filter(email__in=_addresses(customer_id)).values()),
    }


def erase(customer_id: int) -> dict:
    return {
        "deliveries": Delivery.objects.filter(customer_id=customer_id).update(to="", subject=""),
        "delivery_events": DeliveryEvent.objects.filter(delivery__customer_id=customer_id).update(url=""),
    }


HOLDER = Holder(
    name="campaigns",
    export=export,
    erase=erase,
    models=("campaigns.enrollment", "campaigns.delivery", "campaigns.coupon"),
    order=50,
)
