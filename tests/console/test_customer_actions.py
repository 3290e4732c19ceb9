"""What staff do for a customer from their page: write to them, give a coupon, merge a duplicate, export
everything held about them, and erase it (keeping the orders for the books)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.db.models import TextField
from django.db.models.functions import Cast

from campaigns.models import Coupon
from campaigns.playbook import playbook_install
from carecrm import privacy
from customers.models import Customer
from lifecycle.models import Event
from lifecycle.services import customer_upsert
from orders import carts
from orders import services as order_services
from orders.models import Order
from tests.campaigns.test_playbook import T0, tick
from tests.factories import CustomerFactory, UserFactory
from tests.orders.factories import ReturnFactory
from tests.orders.track_factories import shipment_send
from tests.tickets.test_inbound import mail
from tickets.csat import csat_record
from tickets.inbound import email_ingest
from tickets.models import Message, Ticket
from tickets.services import ticket_reply

pytestmark = pytest.mark.django_db
# Strings found nowhere but in this person's data: after erasure, nowhere at all.
PERSONAL = ["Zephyrine", "Quillfeather", "zephyrine.q", "491700000042", "Quillbury", "Lantern Lane", "ZQ-1"]


def login(client, role: str):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def rich_customer() -> Customer:
    """A customer with something in every app: events and points, an order shipped and returned, a cart,
    a ticket with an attachment, an answer and a rating, campaign messages and a coupon."""
    playbook_install()
    customer, _ = customer_upsert(
        data={
            "external_id": "ZQ-1",
            "email": "zephyrine.q@mail.example",
            "phone": "+491700000042",
            "first_name": "Zephyrine",
            "last_name": "Quillfeather",
            "city": "Quillbury",
            "country": "DE",
            "registered_at": T0,
            "marketing_opt_in": True,
        },
        source="test",
        now=T0,
    )
    tick(T0 + timedelta(days=2, minutes=1))  # the welcome, with its coupon
    placed = T0 + timedelta(days=3)
    order, _ = order_services.order_upsert(
        data={
            "external_id": "zq-order-1",
            "number": "ZQ-ORDER-1",
            "customer": {"external_id": "ZQ-1"},
            "placed_at": placed,
            "currency": "EUR",
            "total": "25.00",
            "payment_method": "prepaid",
            "items": [
                {"sku": "MUG-01", "name": "Mug", "quantity": 2, "unit_price": "12.50", "category": "kitchen"}
            ],
            "shipping_address": {
                "name": "Zephyrine Quillfeather",
                "line1": "7 Lantern Lane",
                "city": "Quillbury",
                "country": "DE",
            },
            "special_instructions": {"note": "Leave it with Zephyrine's neighbour"},
        },
        source="test",
        now=placed,
    )
    shipment_send(order, scans=[("delivered", placed + timedelta(days=2), "Quillbury", "Delivered")])
    ReturnFactory(order=order, reason="Zephyrine says the mug is cracked")
    carts.cart_upsert(
        data={
            "external_id": "zq-cart",
            "customer": {"external_id": "ZQ-1"},
            "currency": "EUR",
            "value": "9.90",
            "items": [{"sku": "TEA-07", "name": "Tea", "quantity": 1, "unit_price": "9.90"}],
            "updated_at": placed,
        },
        source="test",
        now=placed,
    )
    ingested = email_ingest(
        raw=mail(
            sender="Zephyrine Quillfeather <zephyrine.q@mail.example>",
            subject="Cracked mug, Zephyrine here",
            text="Hello, this is Zephyrine from Quillbury. Call me on +49 170 0000042.",
            attachments=[("photo-zephyrine.txt", "text/plain", b"Zephyrine's photo")],
        ),
        now=placed + timedelta(days=4),
    )
    ticket = ingested.ticket
    ticket_reply(
        ticket=ticket, author=UserFactory(role="agent"), text="Sorry Zephyrine, a new one is on its way."
    )
    csat_record(ticket=ticket, rating=5, comment="Thanks, Zephyrine is happy", now=placed + timedelta(days=5))
    tick(placed + timedelta(days=5, minutes=5))  # events dispatched: points, the first-purchase series
    return Customer.objects.get(pk=customer.pk)


# --- Export and erase ------------------------------------------------------------------------------


def test_every_model_that_points_at_a_customer_is_answered_for_by_an_app():
    pointing = {
        model._meta.label_lower
        for model in apps.get_models()
        for field in model._meta.fields
        if isinstance(field, models.ForeignKey) and field.related_model is Customer and model is not Customer
    }
    covered = {label for holder in privacy.holders() for label in holder.models}

    assert pointing <= covered, f"no export or erasure for {sorted(pointing - covered)}"


def test_the_export_holds_everything_about_the_customer(client):
    customer = rich_customer()
    login(client, "agent")

    response = client.get(f"/console/customers/{customer.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="customer-{customer.pk}.json"'
    data = response.json()
    assert data["customers"]["profile"]["email"] == "zephyrine.q@mail.example"
    assert {i["value"] for i in data["customers"]["identities"]} == {
        "zephyrine.q@mail.example",
        "+491700000042",
    }
    sections = {
        "lifecycle": ["events", "loyalty"],
        "orders": ["orders", "items", "payments", "shipments", "tracking_events", "returns", "carts"],
        "tickets": ["tickets", "messages", "attachments", "ratings"],
        "campaigns": ["enrollments", "deliveries", "coupons"],
    }
    empty = [f"{app}.{name}" for app, names in sections.items() for name in names if not data[app][name]]
    assert empty == ["orders.payments"]  # the store sent no payment for this order
    assert len(data["lifecycle"]["events"]) == Event.objects.filter(customer=customer).count()
    texts = " ".join(m["text"] for m in data["tickets"]["messages"])
    assert "Call me on +49 170 0000042" in texts and "a new one is on its way" in texts
    assert data["orders"]["orders"][0]["shipping_address"]["line1"] == "7 Lantern Lane"


def _rows_mentioning(needle: str) -> list[str]:
    found = []
    for app in ("customers", "lifecycle", "orders", "tickets", "campaigns"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.fields:
                if isinstance(field, models.JSONField):
                    rows = model.objects.annotate(_text=Cast(field.name, TextField())).filter(
                        _text__icontains=needle
                    )
                elif isinstance(field, (models.CharField, models.TextField)):
                    rows = model.objects.filter(**{f"{field.name}__icontains": needle})
                else:
                    continue
                found += [f"{model._meta.label}.{field.name}" for _ in rows[:1]]
    return found


def test_erase_leaves_no_personal_data_and_keeps_the_orders_for_the_books(client):
    customer = rich_customer()
    assert _rows_mentioning("Zephyrine")  # the scan finds the data while it is there
    login(client, "manager")

    response = client.post(f"/console/customers/{customer.pk}/erase/", {"confirm": "ERASE"}, follow=True)

    assert "Personal data erased." in response.content.decode()
    assert {needle: _rows_mentioning(needle) for needle in PERSONAL} == {needle: [] for needle in PERSONAL}
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.email == "" and customer.external_id is None
    order = Order.objects.get(number="ZQ-ORDER-1")
    assert (order.customer_id, order.total, order.items.count()) == (customer.pk, Decimal("25.00"), 1)
    assert order.shipping_address == {"country": "DE"}
    assert Ticket.objects.filter(customer=customer).count() == 1
    assert not Message.objects.filter(ticket__customer=customer).exclude(text="").exists()
    assert Event.objects.filter(customer=customer, kind="customer_erased").count() == 1
    assert Event.objects.filter(customer=customer, kind="order_placed").exists()  # the reports still count it


def test_erase_asks_for_confirmation_and_only_managers_and_admins_may(client):
    customer = CustomerFactory(first_name="Zephyrine")
    url = f"/console/customers/{customer.pk}/erase/"

    login(client, "agent")
    assert client.post(url, {"confirm": "ERASE"}).status_code == 403
    login(client, "manager")
    unconfirmed = client.post(url, {"confirm": "yes"}, follow=True)

    assert "Type ERASE in capitals to confirm." in unconfirmed.content.decode()
    customer.refresh_from_db()
    assert customer.first_name == "Zephyrine" and customer.erased_at is None


def test_marketers_may_not_export_or_merge(client):
    customer = CustomerFactory()
    login(client, "marketer")
    assert client.get(f"/console/customers/{customer.pk}/export/").status_code == 403
    assert client.post(f"/console/customers/{customer.pk}/merge/", {"duplicate": "x@y.z"}).status_code == 403


# --- Email, coupon, merge --------------------------------------------------------------------------


def test_a_one_off_email_is_a_ticket_waiting_on_the_customer_and_on_the_timeline(client):
    agent = login(client, "agent")
    customer = CustomerFactory(email="ada@mail.example")

    response = client.post(
        f"/console/customers/{customer.pk}/email/",
        {"subject": "Your parcel is delayed", "text": "It left the warehouse a day late, sorry."},
    )

    ticket = Ticket.objects.get(customer=customer)
    assert response["Location"] == f"/console/tickets/{ticket.pk}/"
    assert (ticket.status, ticket.assignee, ticket.channel) == ("pending", agent, "email")
    [message] = ticket.messages.all()
    assert (message.direction, message.to_address) == ("outbound", "ada@mail.example")
    assert message.subject == f"[{ticket.reference}] Your parcel is delayed"
    assert Event.objects.get(customer=customer, kind="ticket_opened").data["outbound"] is True


def test_a_one_off_email_without_a_text_is_refused(client):
    login(client, "agent")
    customer = CustomerFactory()

    response = client.post(
        f"/console/customers/{customer.pk}/email/", {"subject": "Hi", "text": ""}, follow=True
    )

    assert "Not done:" in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_agent_gives_a_goodwill_coupon_and_a_wrong_one_is_refused(client):
    login(client, "agent")
    customer = CustomerFactory()
    url = f"/console/customers/{customer.pk}/coupon/"

    given = client.post(url, {"kind": "percent", "value": "15", "valid_days": "60"}, follow=True)
    refused = client.post(url, {"kind": "percent", "value": "150", "valid_days": "60"}, follow=True)

    coupon = Coupon.objects.get(customer=customer)
    assert (coupon.kind, coupon.value, coupon.delivery_id) == ("percent", Decimal("15.00"), None)
    assert coupon.code.startswith("THANKS-")
    assert f"Coupon {coupon.code}" in given.content.decode()
    assert "at most 100 for percent off" in refused.content.decode()
    assert Event.objects.get(customer=customer, kind="coupon_issued").data["coupon"] == coupon.code


def test_an_agent_merges_a_duplicate_into_the_customer(client):
    login(client, "agent")
    survivor = CustomerFactory(email="ada@mail.example")
    duplicate = CustomerFactory(email="ada.old@mail.example")
    Order.objects.create(
        customer=duplicate,
        number="OLD-1",
        placed_at=T0,
        currency="EUR",
        total=Decimal("10"),
        status="delivered",
    )

    response = client.post(f"/console/customers/{survivor.pk}/merge/", {"duplicate": "ada.old@mail.example"})
    unknown = client.post(
        f"/console/customers/{survivor.pk}/merge/", {"duplicate": "nobody@x.example"}, follow=True
    )

    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    assert Order.objects.get(number="OLD-1").customer_id == survivor.pk
    assert "no customer nobody@x.example" in unknown.content.decode()
