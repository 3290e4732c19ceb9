from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import services
from orders.models import OrderAlert
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _order(number: str):
    order, _ = services.order_upsert(
        data={
            "number": number,
            "customer": {"email": f"buyer{number}@shop.example"},
            "placed_at": NOW,
            "currency": "EUR",
            "total": "20.00",
            "items": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": "20.00"}],
        },
        source="api",
    )
    return order


def _alert(number: str, kind=OrderAlert.Kind.DOUBLE_CHARGE):
    return services.alert_raise(order=_order(number), kind=kind, now=NOW, detail="Two captures")


def test_alerts_list_urgent_first_and_an_agent_resolves_one(client):
    late = _alert("1001", OrderAlert.Kind.LATE_DELIVERY)
    charged = _alert("1002")
    client.force_login(UserFactory(role="agent"))
    page = client.get("/console/alerts/").content.decode()
    assert page.index("1002") < page.index("1001")
    assert "Charged twice" in page
    response = client.post(f"/console/alerts/{charged.pk}/resolve/", follow=True)
    assert "resolved" in response.content.decode()
    charged.refresh_from_db()
    late.refresh_from_db()
    assert charged.resolved_at is not None
    assert late.resolved_at is None
    # resolving twice is harmless
    assert client.post(f"/console/alerts/{charged.pk}/resolve/").status_code == 302


def test_a_marketer_sees_alerts_but_cannot_resolve_them(client):
    alert = _alert("2001")
    client.force_login(UserFactory(role="marketer"))
    assert client.get("/console/alerts/").status_code == 200
    assert client.post(f"/console/alerts/{alert.pk}/resolve/").status_code == 403
    assert client.get(f"/console/alerts/{alert.pk}/resolve/").status_code == 405


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/console/alerts/").status_code == 200
    return len(ctx.captured_queries)


def test_alerts_query_count_does_not_grow(client):
    client.force_login(UserFactory(role="manager"))
    _alert("3001")
    few = _queries(client)
    for n in range(3002, 3030):
        _alert(str(n))
    # session, user, alerts with order and customer, permissions of the user and of their groups
    assert _queries(client) == few == 5
