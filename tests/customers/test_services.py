import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from carecrm.errors import Conflict
from customers import services
from customers.models import Customer, CustomerIdentity
from lifecycle.models import Event
from lifecycle.services import customer_merge, customer_upsert
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("+49 (30) 1234-5678", "+493012345678"),
        ("0049 30 1234567", "+49301234567"),
        ("030 123456", "030123456"),
    ],
)
def test_phone_numbers_are_normalized(raw, normalized):
    assert services.normalize_phone(raw) == normalized


@pytest.mark.parametrize("raw", ["12", "call me", "+1234567890123456", "++4930123456"])
def test_implausible_phone_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        services.normalize_phone(raw)


def test_every_channel_address_finds_the_same_customer():
    # given a customer registered with an email and a phone
    customer, _ = customer_upsert(
        data={"external_id": "A1", "email": "ann@shop.example", "phone": "+44 20 7946 0000"}, source="api"
    )
    services.identity_attach(customer=customer, kind="chat", value="messenger:ann.k")
    # when the same person shows up by another address
    again, created = customer_upsert(data={"email": "ANN@shop.example ", "first_name": "Ann"}, source="web")
    # then no second customer appears, and each address is one identity
    assert not created
    assert again.pk == customer.pk
    assert set(CustomerIdentity.objects.values_list("kind", "value")) == {
        ("email", "ann@shop.example"),
        ("phone", "+442079460000"),
        ("chat", "messenger:ann.k"),
    }


def test_an_address_of_another_customer_is_never_moved_silently():
    ann = CustomerFactory(email="ann@shop.example")
    bob = CustomerFactory(email="bob@shop.example")
    with pytest.raises(Conflict):
        services.identity_attach(customer=bob, kind="email", value="Ann@Shop.example")
    assert CustomerIdentity.objects.get(value="ann@shop.example").customer == ann


def test_email_is_unique_whatever_the_case():
    CustomerFactory(email="eve@shop.example")
    with pytest.raises(IntegrityError):
        Customer.objects.create(email="EVE@shop.example", registered_at=timezone.now())


def test_consent_records_when_and_how_and_withdrawal_is_an_event():
    customer, _ = customer_upsert(
        data={"external_id": "K1", "email": "k@shop.example", "marketing_opt_in": True}, source="checkout"
    )
    assert customer.marketing_opt_in_at is not None
    assert customer.marketing_opt_in_source == "checkout"
    customer_upsert(data={"external_id": "K1", "marketing_opt_in": False}, source="api")
    customer.refresh_from_db()
    assert customer.marketing_opt_in is False
    assert list(Event.objects.filter(customer=customer).order_by("id").values_list("kind", flat=True)) == [
        "registered",
        "subscribed",
        "unsubscribed",
    ]


def test_unchanged_upsert_records_nothing_new():
    data = {"external_id": "Q1", "email": "q@shop.example", "marketing_opt_in": True, "tags": ["vip"]}
    customer_upsert(data=data, source="api")
    before = Event.objects.count()
    customer, created = customer_upsert(data=data, source="api")
    assert not created
    assert Event.objects.count() == before
    assert list(customer.tags.values_list("name", flat=True)) == ["vip"]


def test_merge_moves_everything_onto_the_survivor_and_records_it():
    # given a store customer and a duplicate who wrote in from another address
    survivor, _ = customer_upsert(
        data={"external_id": "S1", "email": "sam@shop.example", "tags": ["vip"]}, source="api"
    )
    duplicate, _ = customer_upsert(
        data={
            "email": "sam.private@mail.example",
            "phone": "+33 1 23 45 67 89",
            "city": "Lyon",
            "tags": ["press"],
        },
        source="email",
    )
    Customer.objects.filter(pk=survivor.pk).update(orders_count=1, total_spent="40.00")
    Customer.objects.filter(pk=duplicate.pk).update(orders_count=2, total_spent="60.50")
    # when they are merged
    merged = customer_merge(survivor=survivor, duplicate=duplicate, actor="agent")
    # then the duplicate's identities, events and summary belong to the survivor
    merged.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == merged.pk
    assert set(merged.identities.values_list("value", flat=True)) == {
        "sam@shop.example",
        "sam.private@mail.example",
        "+33123456789",
    }
    assert merged.orders_count == 3
    assert str(merged.total_spent) == "100.50"
    assert merged.city == "Lyon"
    assert set(merged.tags.values_list("name", flat=True)) == {"vip", "press"}
    assert not Event.objects.filter(customer=duplicate).exists()
    merge_event = Event.objects.get(customer=merged, kind="customer_merged")
    assert merge_event.data["duplicate"]["email"] == "sam.private@mail.example"
    assert merge_event.data["moved"]["customers.customeridentity"] == 2
    # and the duplicate's address now finds the survivor
    found, created = customer_upsert(data={"email": "sam.private@mail.example"}, source="web")
    assert (found.pk, created) == (merged.pk, False)


def test_a_customer_cannot_be_merged_twice_or_into_itself():
    a, b = CustomerFactory(), CustomerFactory()
    with pytest.raises(ValidationError):
        customer_merge(survivor=a, duplicate=a, actor="agent")
    customer_merge(survivor=a, duplicate=b, actor="agent")
    with pytest.raises(ValidationError):
        customer_merge(survivor=a, duplicate=b, actor="agent")


def test_merge_hands_the_external_id_to_a_survivor_without_one():
    survivor = CustomerFactory(external_id=None, email="walk-in@shop.example")
    duplicate = CustomerFactory(external_id="STORE-9", email="store@shop.example")
    customer_merge(survivor=survivor, duplicate=duplicate, actor="agent")
    found, created = customer_upsert(data={"external_id": "STORE-9"}, source="api")
    assert (found.pk, created) == (survivor.pk, False)


def test_the_old_external_id_of_a_merged_duplicate_updates_the_survivor():
    survivor = CustomerFactory(external_id="STORE-1")
    duplicate = CustomerFactory(external_id="STORE-2")
    customer_merge(survivor=survivor, duplicate=duplicate, actor="agent")
    found, created = customer_upsert(data={"external_id": "STORE-2", "first_name": "Renamed"}, source="api")
    assert (found.pk, created, found.external_id, found.first_name) == (
        survivor.pk,
        False,
        "STORE-1",
        "Renamed",
    )
    assert Customer.objects.count() == 2
