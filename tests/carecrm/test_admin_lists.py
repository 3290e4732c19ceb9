"""Admin lists grow with the data: each costs the same queries for a few rows or many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifecycle.models import Event
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _add(count: int) -> None:
    for customer in CustomerFactory.create_batch(count):
        Event.objects.create(
            customer=customer, kind="registered", occurred_at=timezone.now(), summary="Registered"
        )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    ["/admin/customers/customer/", "/admin/lifecycle/event/", "/admin/customers/customer/?q=mail.example"],
)
def test_admin_list_query_count_does_not_grow(admin_client, url):
    _add(2)
    few = _queries(admin_client, url)
    _add(25)
    assert _queries(admin_client, url) == few
