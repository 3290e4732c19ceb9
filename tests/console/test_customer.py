"""The single view of a customer and the search box that finds them: the whole customer on one page in a
fixed number of queries however long their history, the timeline paged and filtered, and one box that
finds a customer by name, email, phone, order or tracking number, or a ticket by its reference."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.playbook import playbook_install
from customers.models import Customer, CustomerIdentity
from lifecycle.models import Event
from orders.models import Order, Shipment
from tests.campaigns.test_playbook import T0, order, register, tick
from tests.factories import CustomerFactory, UserFactory
from tickets.models import Ticket
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db
BASE = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def agent(client):
    user = UserFactory(role="agent")
    client.force_login(user)
    return user


def heavy_customer(*, orders: int, tickets: int, events: int) -> Customer:
    """A customer with a long history, written in bulk: what the page must not load all of."""
    customer = CustomerFactory(email="heavy@mail.example", first_name="Hedda", last_name="Vogt")
    Order.objects.bulk_create(
        Order(
            customer=customer,
            number=f"H-{n:05d}",
            placed_at=BASE + timedelta(hours=n),
            currency="EUR",
            total=Decimal("20.00"),
            status="delivered",
        )
        for n in range(orders)
    )
    Shipment.objects.bulk_create(
        Shipment(
            order=o, external_id=f"S-{o.pk}", carrier="dhl", tracking_number=f"TRK{o.pk}", shipped_at=BASE
        )
        for o in Order.objects.filter(customer=customer)
    )
    Ticket.objects.bulk_create(
        Ticket(
            customer=customer,
            reference=f"CR-9{n:05d}",
            channel="email",
            subject=f"Question {n}",
            created_at=BASE + timedelta(hours=n),
            updated_at=BASE + timedelta(hours=n),
        )
        for n in range(tickets)
    )
    kinds = ["order_placed", "ticket_opened", "message_opened", "stage_changed", "shipment_delivered"]
    Event.objects.bulk_create(
        Event(
            customer=customer,
            kind=kinds[n % len(kinds)],
            occurred_at=BASE + timedelta(minutes=n),
            summary=f"Event {n}",
        )
        for n in range(events)
    )
    Customer.objects.filter(pk=customer.pk).update(orders_count=orders, total_spent=Decimal("20.00") * orders)
    return Customer.objects.get(pk=customer.pk)


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_page_of_a_customer_with_a_long_history_reads_as_many_queries_as_a_new_one(client, agent):
    light = CustomerFactory()
    heavy = heavy_customer(orders=500, tickets=100, events=5000)

    light_queries = queries_for(client, f"/console/customers/{light.pk}/")
    heavy_queries = queries_for(client, f"/console/customers/{heavy.pk}/")

    # session, user, permissions (two); the customer; tags; the timeline page; kinds with counts;
    # identities; latest orders; latest tickets; latest campaign messages; coupons; open tickets count;
    # customer value (two); recommendations; the access record of this view. With orders, their
    # shipments too: one query for all ten.
    assert heavy_queries == light_queries + 1
    assert heavy_queries == 19
    page = client.get(f"/console/customers/{heavy.pk}/").content.decode()
    assert page.count('class="timeline-event"') == 50
    assert "Event 4999" in page and "Event 4949" not in page
    assert "H-00499" in page and "H-00489" not in page
    assert "Older events" in page


def test_the_timeline_pages_back_with_a_cursor_and_filters_by_kind_and_group(client, agent):
    heavy = heavy_customer(orders=0, tickets=0, events=120)
    url = f"/console/customers/{heavy.pk}/"

    first = client.get(url).context["timeline"]
    second = client.get(url, {"before": first.older}).context["timeline"]
    third = client.get(url, {"before": second.older}).context["timeline"]
    support = client.get(url, {"group": "support"}).context["timeline"]
    opened = client.get(url, {"kind": "message_opened"}).context["timeline"]
    partial = client.get(url, {"before": first.older, "part": "timeline"}, HTTP_HX_REQUEST="true")

    seen = [e.summary for e in first.events + second.events + third.events]
    assert seen == [f"Event {n}" for n in range(119, -1, -1)]
    assert third.older == ""
    assert {e.kind for e in support.events} == {"ticket_opened"} and len(support.events) == 24
    assert {e.kind for e in opened.events} == {"message_opened"}
    assert "<html" not in partial.content.decode() and "Event 69" in partial.content.decode()
    assert client.get(url, {"before": "not a cursor"}).status_code == 200


def test_the_page_shows_the_whole_customer_across_channels(client, agent):
    playbook_install()
    ada = register("ada", at=T0)
    order(ada, at=T0 + timedelta(hours=1), number="A-1")
    tick(T0 + timedelta(hours=1, minutes=2))
    ticket_open(channel="web", email=ada.email, subject="Where is A-1?", body="Hello", now=T0)

    page = client.get(f"/console/customers/{ada.pk}/").content.decode()

    assert "Ada" in page and "ada@mail.example" in page
    assert "A-1" in page  # orders
    assert "Where is A-1?" in page  # tickets
    assert "First purchase series" in page and "Order confirmation" in page  # campaign messages
    assert "order_placed" in page and "ticket_opened" in page and "message_sent" in page  # timeline
    assert "subscribed" in page  # consent


def test_a_merged_duplicate_leads_to_the_customer_it_was_merged_into(client, agent):
    survivor = CustomerFactory()
    duplicate = CustomerFactory(merged_into=survivor)

    response = client.get(f"/console/customers/{duplicate.pk}/")

    assert response.status_code == 302 and response["Location"] == f"/console/customers/{survivor.pk}/"


def test_open_a_ticket_and_log_a_call_start_from_the_customer(client, agent):
    ada = CustomerFactory(email="ada@mail.example", first_name="Ada", last_name="Byron")

    page = client.get(f"/console/customers/{ada.pk}/").content.decode()
    form = client.get("/console/tickets/new/", {"email": ada.email, "name": "Ada Byron", "channel": "phone"})

    assert "/console/tickets/new/?email=ada%40mail.example&amp;name=Ada%20Byron&amp;channel=phone" in page
    assert form.context["form"].initial["email"] == "ada@mail.example"
    assert form.context["form"].initial["channel"] == "phone"


def test_visitors_and_the_integration_account_are_kept_out(client):
    customer = CustomerFactory()
    url = f"/console/customers/{customer.pk}/"
    assert client.get(url).status_code == 302
    client.force_login(UserFactory(role="integration"))
    assert client.get(url).status_code == 403
    assert client.get("/console/search/", {"q": customer.email}).status_code == 403


@pytest.mark.parametrize("role", ["agent", "marketer", "manager", "admin"])
def test_every_staff_role_sees_the_customer(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get(f"/console/customers/{CustomerFactory().pk}/").status_code == 200


# --- Search ----------------------------------------------------------------------------------------


@pytest.fixture
def people():
    playbook_install()
    ada = register("ada", at=T0)
    Customer.objects.filter(pk=ada.pk).update(first_name="Ada", last_name="Lovelace", phone="+4917612345")
    CustomerIdentity.objects.create(customer=ada, kind="phone", value="+4917612345")
    placed = order(ada, at=T0, number="100777")
    Shipment.objects.create(
        order=placed, external_id="S1", carrier="dhl", tracking_number="JJD0099887766", shipped_at=T0
    )
    ticket = ticket_open(channel="web", email=ada.email, subject="Broken mug", body="It broke", now=T0).ticket
    register("adam", at=T0)
    return ada, placed, ticket


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("ada@mail.example", "customer"),
        ("ADA@mail.example", "customer"),
        ("+49 176 12345", "customer"),
        ("Ada Lovelace", "customer"),
        ("Lovelace", "customer"),
        ("100777", "order"),
        ("JJD0099887766", "order"),
    ],
)
def test_one_box_finds_the_customer_by_anything_they_quote(client, agent, people, query, kind):
    ada, _, _ = people

    response = client.get("/console/search/", {"q": query})

    assert response.status_code == 302
    assert response["Location"].startswith(f"/console/customers/{ada.pk}/")
    assert ("?group=orders" in response["Location"]) == (kind == "order")


def test_a_ticket_reference_leads_to_the_ticket_and_several_matches_are_listed(client, agent, people):
    _, _, ticket = people

    by_reference = client.get("/console/search/", {"q": ticket.reference.lower()})
    several = client.get("/console/search/", {"q": "ada"})
    as_you_type = client.get("/console/search/", {"q": "ada"}, HTTP_HX_REQUEST="true")
    nothing = client.get("/console/search/", {"q": "zzz-nobody"}, HTTP_HX_REQUEST="true")

    assert by_reference["Location"] == f"/console/tickets/{ticket.pk}/"
    assert several.status_code == 200 and len(several.context["results"]) == 2
    assert "<html" not in as_you_type.content.decode() and "Adam" in as_you_type.content.decode()
    assert "Nothing matches" in nothing.content.decode()


def test_search_reads_a_fixed_number_of_queries(client, agent, people, django_assert_num_queries):
    for n in range(12):
        register(f"ada{n}", at=T0)
    # session, user, permissions (two); tickets by reference; shipments by tracking number; orders by
    # number or those shipments; identities by address; customers by store id or those identities;
    # customers by name or email prefix
    with django_assert_num_queries(10):
        client.get("/console/search/", {"q": "ada"}, HTTP_HX_REQUEST="true")
