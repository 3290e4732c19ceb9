"""The agent inbox and the ticket page: views, answering with a macro, notes, status, and query counts
that do not grow with tickets or messages."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lifecycle.models import Event
from tests.factories import UserFactory
from tests.orders.track_factories import order_place, shipment_send
from tickets.inbound import email_ingest
from tickets.models import Macro, Message, Ticket
from tickets.services import ticket_open, ticket_reply
from tickets.tokens import reply_address

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]


@pytest.fixture
def agent(client):
    user = UserFactory(username="alex", role="agent", first_name="Alex", last_name="Agent")
    client.force_login(user)
    return user


def open_ticket(subject="Where is my parcel?", email="ana@mail.example", **fields) -> Ticket:
    return ticket_open(channel="email", email=email, subject=subject, body="It is late.", **fields).ticket


def queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.content.decode()


def test_views_show_urgent_first_and_count_each_view(client, agent):
    normal = open_ticket("Where is my parcel?")
    urgent = open_ticket("You charged me twice", email="bo@mail.example")
    mine = open_ticket("Return my towel", email="cy@mail.example")
    Ticket.objects.filter(pk=mine.pk).update(assignee=agent)

    _, html = queries(client, "/console/inbox/?view=all")
    assert html.index(urgent.reference) < html.index(normal.reference)
    assert 'All open <span class="count">3</span>' in html
    assert 'Urgent <span class="count">1</span>' in html
    assert 'Mine <span class="count">1</span>' in html
    assert 'Unassigned <span class="count">2</span>' in html

    _, mine_html = queries(client, "/console/inbox/")
    assert mine.reference in mine_html and normal.reference not in mine_html
    _, found = queries(client, f"/console/inbox/?view=all&q={normal.reference}")
    assert normal.reference in found and urgent.reference not in found


def test_breaching_lists_tickets_near_or_past_their_due_time(client, agent):
    late = open_ticket()
    open_ticket(email="on-time@mail.example")
    Ticket.objects.filter(pk=late.pk).update(first_response_due_at=datetime.now(UTC) - timedelta(minutes=5))

    _, html = queries(client, "/console/inbox/?view=breaching")

    assert late.reference in html
    assert html.count("data-ticket-row") == 1


def test_the_inbox_costs_the_same_queries_for_few_or_many_tickets(client, agent):
    for n in range(3):
        open_ticket(email=f"c{n}@mail.example")
    few, _ = queries(client, "/console/inbox/?view=all")
    for n in range(3, 60):
        open_ticket(email=f"c{n}@mail.example")

    many, html = queries(client, "/console/inbox/?view=all")

    # session, user, permissions (2), the view counts, the page count, the page, the teams.
    assert many == few
    assert few <= 9
    assert "Page 1 of 2" in html


def test_the_ticket_page_costs_the_same_queries_for_short_or_long_conversations(client, agent):
    order = order_place(number="100501", email="ana@mail.example")
    shipment_send(
        order, carrier="DHL", tracking_number="JD0001", shipped_at=order.placed_at + timedelta(days=1)
    )
    ticket = open_ticket(order_number="100501")
    other = open_ticket("Another thing")
    url = f"/console/tickets/{ticket.pk}/"
    few, html = queries(client, url)
    assert "100501" in html and "JD0001" in html
    assert other.reference in html  # the customer's other open ticket
    assert 'class="lifetime-value"' in html

    reply = f"<{ticket.messages.filter(direction='outbound').first().message_id}>"
    for n in range(15):
        email_ingest(raw=_reply_mail(reply, n))
    for n in range(3):
        order_place(number=f"1006{n:02d}", email="ana@mail.example")

    many, html = queries(client, url)
    assert many == few
    assert html.count('class="message message-inbound') == 16


def _reply_mail(in_reply_to: str, n: int) -> bytes:
    return (
        f"From: ana@mail.example\r\nTo: care@shop.example\r\nSubject: Re: parcel\r\n"
        f"Message-ID: <reply-{n}@mail.example>\r\nIn-Reply-To: {in_reply_to}\r\n\r\nStill nothing ({n}).\r\n"
    ).encode()


def test_an_agent_answers_with_a_macro_and_the_customer_gets_a_threaded_email(
    client, agent, worker_in_process, django_capture_on_commit_callbacks
):
    order = order_place(number="100501", email="ana@mail.example")
    ticket = open_ticket(order_number="100501")
    macro = Macro.objects.create(
        name="Parcel on its way",
        text="Hi {{ customer_name }}, order {{ order_number }} is on its way: {{ tracking_link }}\n"
        "{{ agent_name }} {{ secret_key }}",
    )

    filled = client.get(f"/console/tickets/{ticket.pk}/macro/", {"macro": macro.pk}).content.decode()
    name = ticket.customer.first_name
    assert f"Hi {name}, order 100501 is on its way: https://care.shop.example/track/?number=100501" in filled
    assert "Alex Agent {{ secret_key }}" in filled  # unknown placeholders stay as written
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/tickets/{ticket.pk}/reply/",
            {"text": "Your parcel left us yesterday.", "status": "pending"},
            HTTP_HX_REQUEST="true",
        )

    assert response.status_code == 200
    assert "Your parcel left us yesterday." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.first_responded_at is not None
    assert ticket.sla_paused_at is not None
    [email] = mail.outbox
    assert email.to == ["ana@mail.example"]
    assert email.reply_to == [reply_address(ticket.pk)]
    answer = ticket.messages.get(direction="outbound", kind="message")
    assert email.extra_headers["Message-ID"] == f"<{answer.message_id}>"
    assert email.extra_headers["In-Reply-To"].startswith("<")
    assert Event.objects.filter(kind="ticket_replied", data__ticket=ticket.pk).exists()
    assert order.number in ticket.order.number


def test_notes_stay_inside_and_status_moves_follow_the_map(client, agent):
    ticket = open_ticket()

    client.post(f"/console/tickets/{ticket.pk}/note/", {"text": "Called DHL, parcel at the depot."})
    resolved = client.post(f"/console/tickets/{ticket.pk}/status/", {"status": "resolved"})
    closed = client.post(f"/console/tickets/{ticket.pk}/status/", {"status": "closed"})
    refused = client.post(f"/console/tickets/{ticket.pk}/status/", {"status": "open"}, HTTP_HX_REQUEST="true")
    nonsense = client.post(f"/console/tickets/{ticket.pk}/status/", {"status": "banana"})

    note = ticket.messages.get(direction=Message.Direction.NOTE)
    assert (note.author, note.delivery) == (agent, "")
    assert resolved.status_code == closed.status_code == 302
    assert refused.status_code == 400 and "cannot go from closed to open" in refused.content.decode()
    assert nonsense.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed"


def test_an_empty_reply_is_refused_and_sends_nothing(client, agent):
    ticket = open_ticket()

    response = client.post(f"/console/tickets/{ticket.pk}/reply/", {"text": "  "}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "Write the answer first" in response.content.decode()
    assert not ticket.messages.filter(kind="message", direction="outbound").exists()


def test_assign_to_me(client, agent):
    ticket = open_ticket()

    client.post(f"/console/tickets/{ticket.pk}/assign/", {"to": "me"})

    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_roles_without_tickets_are_kept_out(client):
    ticket = open_ticket()
    client.force_login(UserFactory(role="marketer"))

    assert client.get("/console/inbox/").status_code == 403
    assert client.get(f"/console/tickets/{ticket.pk}/").status_code == 403
    assert client.post(f"/console/tickets/{ticket.pk}/reply/", {"text": "x"}).status_code == 403


def test_a_reply_service_call_refuses_a_move_the_map_forbids():
    ticket = open_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    ticket.refresh_from_db()

    with pytest.raises(Exception, match="cannot become"):
        ticket_reply(ticket=ticket, author=None, text="Hello", status="pending")


def test_an_agent_logs_a_phone_call_as_a_ticket_without_an_acknowledgement(client, agent):
    response = client.post(
        "/console/tickets/new/",
        {
            "channel": "phone",
            "email": "Ana@mail.example",
            "name": "Ana Lima",
            "subject": "Called about a late parcel",
            "body": "Parcel due Monday, not here. Promised to chase DHL.",
        },
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/tickets/{ticket.pk}/"
    assert (ticket.channel, ticket.customer.email) == ("phone", "ana@mail.example")
    assert not ticket.messages.filter(kind="auto_reply").exists()
    assert client.post("/console/tickets/new/", {"channel": "fax"}).status_code == 400
