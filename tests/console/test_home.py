import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lifecycle.models import Event
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_account_without_staff_access_is_refused_not_looped(client):
    client.force_login(UserFactory(role="integration"))
    assert client.get("/console/").status_code == 403


def test_console_home_counts_stages_and_lists_the_latest_events(client):
    client.force_login(UserFactory(role="manager"))
    loyal = CustomerFactory(lifecycle_stage="loyal", first_name="Lena")
    Event.objects.create(
        customer=loyal, kind="stage_changed", occurred_at=timezone.now(), summary="Stage active → loyal"
    )
    page = client.get("/console/").content.decode()
    assert "Stage active → loyal" in page
    assert "Lena" in page


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/console/").status_code == 200
    return len(ctx.captured_queries)


def test_console_home_query_count_does_not_grow(client):
    client.force_login(UserFactory(role="agent"))
    for customer in CustomerFactory.create_batch(3):
        Event.objects.create(customer=customer, kind="registered", occurred_at=timezone.now())
    few = _queries(client)
    for customer in CustomerFactory.create_batch(40):
        Event.objects.create(customer=customer, kind="registered", occurred_at=timezone.now())
    # session, user, the user's and the groups' permissions (the navigation shows what the role may use),
    # stage counts, latest events with their customers, open alert counts
    assert _queries(client) == few == 7


@pytest.mark.parametrize(
    ("role", "lands_on"),
    [
        ("agent", "/console/inbox/"),
        ("marketer", "/console/campaigns/"),
        ("manager", "/console/dashboards/"),
        ("admin", "/console/dashboards/"),
    ],
)
def test_signing_in_lands_each_role_on_its_own_work(client, role, lands_on):
    UserFactory(username="someone", role=role, password="correct horse battery staple")

    response = client.post(
        "/accounts/login/", {"username": "someone", "password": "correct horse battery staple"}, follow=True
    )

    assert response.redirect_chain[-1][0] == lands_on
    assert response.status_code == 200
