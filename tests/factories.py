from contextlib import contextmanager

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.authtoken.models import Token

from customers.models import Customer, CustomerIdentity


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@shop.example")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.add(Group.objects.get(name=extracted))
            if extracted != "integration":
                user.is_staff = True
                user.save(update_fields=["is_staff"])


class TokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Token

    user = factory.SubFactory(UserFactory, role="integration")


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer as customers.services would have stored it, with its email identity."""

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    email = factory.Sequence(lambda n: f"customer{n}@mail.example")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    registered_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def identity(customer, create, extracted, **kwargs):
        if create and customer.email:
            CustomerIdentity.objects.create(customer=customer, kind="email", value=customer.email)


@contextmanager
def no_progress(*, total: int, desc: str):
    """A seeder's progress bar that shows nothing."""

    class Bar:
        def update(self, n: int = 1) -> None:
            pass

    yield Bar()
