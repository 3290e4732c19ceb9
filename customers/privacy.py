"""The customer's own record: profile, addresses by channel, tags and merged duplicates."""

from carecrm.privacy import Holder
from customers.models import AccessRecord, Customer, CustomerIdentity


def export(customer_id: int) -> dict:
    return {
        "profile": Customer.objects.filter(pk=customer_id).values().first(),
        "tags": list(
            Customer.tags.through.objects.filter(customer_id=customer_id).values_list("tag__name", flat=True)
        ),
        "identities": list(
            CustomerIdentity.objects.filter(customer_id=customer_id).values("kind", "value", "created_at")
        ),
        "merged_duplicates": list(Customer.objects.filter(merged_into_id=customer_id).values()),
        # Who at the shop viewed, changed or exported the data: part of what a person may ask to know.
        "access_records": list(
            AccessRecord.objects.filter(customer_id=customer_id).values("actor", "action", "detail", "at")
        ),
    }


def erase(customer_id: int) -> dict:
    """Names, addresses, phone, city, the store's id and consent go; the summary columns (orders, spend,
    stage) stay, as the books and the reports count them. Merged duplicates are erased alike. The access
    records stay: they name staff and what they did, not the person."""
    ids = [customer_id, *Customer.objects.filter(merged_into_id=customer_id).values_list("pk", flat=True)]
    identities, _ = CustomerIdentity.objects.filter(customer_id__in=ids).delete()
    Customer.tags.through.objects.filter(customer_id__in=ids).delete()
    customers = Customer.objects.filter(pk__in=ids).update(
        external_id=None,
        email="",
        phone="",
        first_name="",
        last_name="",
        city="",
        time_zone="",
        marketing_opt_in=False,
        marketing_opt_in_source="",
        order_updates_opt_out=True,
    )
    return {"customers": customers, "identities": identities}


HOLDER = Holder(
    name="customers",
    export=export,
    erase=erase,
    models=("customers.customer", "customers.customeridentity", "customers.accessrecord"),
    order=10,
)
