"""CSAT: resolving a ticket sends five rating links; the customer's rating and comment are recorded once
as `csat_received`; a link opened by a mail scanner records nothing."""

import re

import pytest

from lifecycle.models import Event
from tickets.csat import csat_token
from tickets.models import CsatRating, Message, Ticket
from tickets.services import ticket_open, ticket_status_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]


def resolved_ticket() -> Ticket:
    ticket = ticket_open(
        channel="web", email="ana@mail.example", subject="Refund timing", body="When?"
    ).ticket
    ticket_status_set(ticket=ticket, status=Ticket.Status.RESOLVED, now=ticket.created_at)
    return ticket


def test_resolving_sends_one_survey_with_five_links():
    ticket = resolved_ticket()
    ticket_status_set(ticket=ticket, status=Ticket.Status.OPEN, now=ticket.created_at)
    ticket_status_set(ticket=ticket, status=Ticket.Status.RESOLVED, now=ticket.created_at)

    [survey] = ticket.messages.filter(kind=Message.Kind.CSAT_REQUEST)
    links = re.findall(r"https://care\.shop\.example/csat/[^/\s]+/\?rating=(\d)", survey.text)
    assert links == ["1", "2", "3", "4", "5"]


def test_a_rating_with_a_comment_is_recorded_once_and_can_be_changed(client):
    ticket = resolved_ticket()
    url = f"/csat/{csat_token(ticket.pk)}/"

    opened = client.get(url, {"rating": "4"})
    assert opened.status_code == 200
    assert 'value="4" checked' in opened.content.decode()
    assert CsatRating.objects.count() == 0  # opening the link is not rating

    thanks = client.post(url, {"rating": "4", "comment": "Quick and kind"})
    again = client.post(url, {"rating": "5"})

    assert "recorded" in thanks.content.decode() and again.status_code == 200
    csat = CsatRating.objects.get()
    assert (csat.rating, csat.comment) == (5, "Quick and kind")
    assert Event.objects.filter(kind="csat_received", customer=ticket.customer).count() == 1


@pytest.mark.parametrize("rating", ["0", "6", "", "five", "-1"])
def test_a_rating_outside_one_to_five_is_a_400(client, rating):
    ticket = resolved_ticket()

    response = client.post(f"/csat/{csat_token(ticket.pk)}/", {"rating": rating})

    assert response.status_code == 400
    assert CsatRating.objects.count() == 0


def test_a_forged_or_foreign_token_is_not_found(client):
    resolved_ticket()

    assert client.get("/csat/1/").status_code == 404
    assert client.post("/csat/not-a-token/", {"rating": "1"}).status_code == 404
    assert CsatRating.objects.count() == 0
