"""/requests/: a customer signs in by an emailed link, sees only their own requests, and answers them."""

import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.factories import CustomerFactory
from tickets.models import Message, SignInLink, Ticket
from tickets.portal import signin_link
from tickets.services import ticket_note, ticket_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]


def test_a_customer_signs_in_by_link_sees_their_requests_and_answers_one(client):
    mine = ticket_open(channel="web", email="ana@mail.example", subject="Parcel late", body="Where?").ticket
    ticket_note(ticket=mine, author=None, text="Internal: courier is slow")
    theirs = ticket_open(channel="web", email="bo@mail.example", subject="Bo's request", body="Hi").ticket

    client.post("/requests/", {"email": "ANA@mail.example"})
    [email] = mail.outbox
    link = re.search(r"https://care\.shop\.example(/requests/signin/\S+/)", email.body).group(1)
    assert client.get(link).status_code == 302

    listing = client.get("/requests/mine/").content.decode()
    assert mine.reference in listing and theirs.reference not in listing
    page = client.get(f"/requests/mine/{mine.reference}/").content.decode()
    assert "Where?" in page and "Internal: courier is slow" not in page
    assert client.get(f"/requests/mine/{theirs.reference}/").status_code == 404

    client.post(f"/requests/mine/{mine.reference}/", {"text": "Any news?"})
    assert mine.messages.filter(direction=Message.Direction.INBOUND, text="Any news?").exists()


def test_the_form_answers_the_same_for_an_unknown_address_and_sends_nothing(client):
    CustomerFactory(email="ana@mail.example")

    known = client.post("/requests/", {"email": "ana@mail.example"}).content.decode()
    unknown = client.post("/requests/", {"email": "nobody@mail.example"}).content.decode()

    assert known.replace("ana@mail.example", "X") == unknown.replace("nobody@mail.example", "X")
    assert len(mail.outbox) == 1


def test_a_bad_or_expired_link_does_not_sign_in(client):
    customer = CustomerFactory(email="ana@mail.example")
    link = signin_link(customer).replace("https://care.shop.example", "")
    stale = signin_link(customer, now=timezone.now() - timedelta(minutes=11)).replace(
        "https://care.shop.example", ""
    )

    assert client.get(link[:-3] + "xx/").status_code == 400
    assert client.get("/requests/mine/").status_code == 302
    assert client.get(stale).status_code == 400  # ten minutes, no more


def test_a_link_signs_in_once_and_is_kept_only_as_its_hash(client):
    customer = CustomerFactory(email="ana@mail.example")
    link = signin_link(customer).replace("https://care.shop.example", "")
    token = link.rstrip("/").rsplit("/", 1)[-1]

    first = client.get(link)
    client.cookies.clear()
    replayed = client.get(link)

    assert first.status_code == 302 and first["Location"] == "/requests/mine/"
    assert replayed.status_code == 400
    stored = SignInLink.objects.get()
    assert stored.used_at is not None and token not in stored.token_hash and len(stored.token_hash) == 64


def test_sign_in_requests_are_rate_limited(client):
    CustomerFactory(email="ana@mail.example")

    for _ in range(8):
        client.post("/requests/", {"email": "ana@mail.example"})

    assert len(mail.outbox) == 5


def test_a_closed_request_takes_no_more_answers(client):
    ticket = ticket_open(channel="web", email="ana@mail.example", subject="Old", body="x").ticket
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    client.get(signin_link(ticket.customer).replace("https://care.shop.example", ""))

    response = client.post(f"/requests/mine/{ticket.reference}/", {"text": "Hello again"})

    assert response.status_code == 400
    assert not ticket.messages.filter(text="Hello again").exists()


def test_tick_deletes_links_a_day_past_their_expiry():
    customer = CustomerFactory(email="ana@mail.example")
    signin_link(customer, now=timezone.now() - timedelta(days=2))
    signin_link(customer)

    call_command("tick", stdout=io.StringIO())

    assert SignInLink.objects.count() == 1
