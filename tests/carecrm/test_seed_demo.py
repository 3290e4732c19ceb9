from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from carecrm import clock, demo, roles
from customers.models import Customer
from lifecycle.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def seed(*args, **options) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_seed_demo_registers_the_customers_through_the_journey():
    now = clock.now()

    seed(customers=20)

    customers = list(Customer.objects.prefetch_related("events", "identities"))
    assert len(customers) == 20
    for customer in customers:
        registered = [event for event in customer.events.all() if event.kind == "registered"]
        assert len(registered) == 1, customer
        assert registered[0].occurred_at == customer.registered_at
        assert now - timedelta(days=731) <= customer.registered_at <= now
        assert {i.kind for i in customer.identities.all()} >= {"email"}
        assert len(customer.country) == 2 and customer.city and customer.acquisition_channel
    consenting = [c for c in customers if c.marketing_opt_in]
    assert 0 < len(consenting) < 20
    assert Event.objects.filter(kind="subscribed").count() == len(consenting)


def test_staff_demo_users_sign_in_with_the_documented_password_in_their_role():
    seed(customers=0)

    for user in demo.DEMO_USERS:
        stored = get_user_model().objects.get(username=user.username)
        assert list(stored.groups.values_list("name", flat=True)) == [user.role]
        assert stored.is_staff == (user.role in roles.STAFF_ROLES)
        assert stored.is_superuser == (user.role == roles.ADMIN)
        signed_in = authenticate(username=user.username, password=demo.DEMO_PASSWORD)
        assert signed_in == (stored if user.role in roles.STAFF_ROLES else None)


def test_the_integration_user_talks_to_the_api_with_its_token_only():
    seed(customers=0)

    user = get_user_model().objects.get(username="integration")
    assert not user.has_usable_password()
    assert Token.objects.filter(user=user).exists()
    assert user.has_perm("customers.add_customer")


def test_if_empty_adds_nothing_once_demo_data_is_there():
    seed(customers=20)
    before = (Customer.objects.count(), Event.objects.count(), get_user_model().objects.count())

    said = seed("--if-empty", customers=50)

    assert (Customer.objects.count(), Event.objects.count(), get_user_model().objects.count()) == before
    assert "already there" in said


def test_if_empty_loads_a_database_that_has_no_customers_yet():
    said = seed("--if-empty", customers=3)

    assert Customer.objects.count() == 3
    assert "3 customers registered" in said


def test_a_second_run_with_the_same_seed_adds_only_the_customers_still_missing():
    seed(customers=5)
    first = dict(Customer.objects.values_list("external_id", "email"))

    said = seed(customers=8)

    after = dict(Customer.objects.values_list("external_id", "email"))
    assert len(after) == 8
    assert {key: after[key] for key in first} == first
    assert Event.objects.filter(kind="registered").count() == 8
    assert "3 customers registered, 5 already there" in said


def test_an_existing_account_with_a_demo_username_is_left_alone():
    UserFactory(username="admin", password="their own password")

    seed(customers=0)

    admin = get_user_model().objects.get(username="admin")
    assert not admin.is_superuser and not admin.groups.exists()
    assert admin.check_password("their own password")


def test_a_negative_count_is_refused():
    with pytest.raises(CommandError, match="--customers"):
        seed(customers=-1)


def test_demo_logins_prints_the_url_and_every_role(monkeypatch):
    monkeypatch.setenv("PORT", "9123")
    out = StringIO()

    call_command("demo_logins", stdout=out)

    printed = out.getvalue()
    assert "http://127.0.0.1:9123/" in printed
    assert demo.DEMO_PASSWORD in printed
    for role in roles.STAFF_ROLES:
        assert f"  {role} " in printed
    assert "drf_create_token integration" in printed
