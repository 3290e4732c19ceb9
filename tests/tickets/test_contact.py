"""/contact/: the form suggests answers as the subject is typed, and what a customer sends becomes a
ticket on their one customer record, with the reference shown and emailed."""

import re

import pytest
from django.core import mail

from customers.models import Customer
from knowledgebase.models import SearchQuery
from knowledgebase.visitor import VISITOR_COOKIE
from lifecycle.models import Event
from tests.factories import CustomerFactory
from tests.knowledgebase.factories import ArticleFactory
from tests.orders.track_factories import order_place
from tickets.models import Message, Ticket
from tickets.services import ticket_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]

FORM = {
    "name": "Ana Lima",
    "email": "Ana.Lima@mail.example",
    "order_number": "",
    "subject": "Where is my parcel?",
    "body": "It was due on Monday and has not come.",
}


def test_suggestions_typed_without_the_row_known_still_log_one_question(client):
    ArticleFactory(title="Where is my parcel?", body="Track it.")

    for typed in ("where is", "where is my", "where is my parcel"):
        client.get("/contact/suggestions/", {"subject": typed})
    client.get("/contact/suggestions/", {"subject": "refund"})

    assert list(SearchQuery.objects.order_by("pk").values_list("text", flat=True)) == [
        "where is my parcel",
        "refund",
    ]


def test_a_suggestion_request_arriving_after_the_form_was_sent_logs_nothing_more(client):
    client.get("/contact/suggestions/", {"subject": "where is my"})
    client.post("/contact/", {**FORM, "subject": "where is my parcel"})

    client.get("/contact/suggestions/", {"subject": "where is my parcel"})  # the last keystroke, late

    [logged] = SearchQuery.objects.filter(source=SearchQuery.Source.CONTACT)
    assert logged.escalated is True


def test_the_form_prefills_the_question_from_the_help_centre(client):
    ArticleFactory(title="Where is my parcel?", body="Track it.")

    response = client.get("/contact/", {"q": "where is my parcel"})

    html = response.content.decode()
    assert 'value="where is my parcel"' in html
    assert "These answers may help right away" in html
    assert "Where is my parcel?" in html


def test_suggestions_follow_what_is_typed_and_are_logged_once_per_question(client):
    ArticleFactory(title="Where is my parcel?", body="Track it with the link.")
    ArticleFactory(title="Returns and refunds", body="Send it back within 30 days.")

    first = client.get("/contact/suggestions/", {"subject": "where is my par"})
    search_id = SearchQuery.objects.get().pk
    second = client.get("/contact/suggestions/", {"subject": "where is my parcel", "search_id": search_id})

    assert "Where is my parcel?" in first.content.decode()
    assert "Returns and refunds" not in first.content.decode()
    assert f'value="{search_id}" hx-swap-oob="true"' in second.content.decode()
    logged = SearchQuery.objects.get()  # one row, updated as the customer typed
    assert (logged.text, logged.source, logged.results_count) == (
        "where is my parcel",
        SearchQuery.Source.CONTACT,
        1,
    )
    assert client.get("/contact/suggestions/", {"subject": "wh"}).content.decode().strip() == ""


def test_sending_the_form_opens_a_ticket_and_shows_its_reference(client, django_capture_on_commit_callbacks):
    ArticleFactory(title="Where is my parcel?", body="Track it with the link.")
    client.get("/contact/suggestions/", {"subject": "where is my parcel"})

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/contact/", FORM)

    assert response.status_code == 302 and response["Location"] == "/contact/sent/"
    ticket = Ticket.objects.get()
    assert re.fullmatch(r"CR-\d{6}", ticket.reference)
    assert (ticket.channel, ticket.status, ticket.subject) == ("web", "new", "Where is my parcel?")
    assert ticket.first_response_due_at is not None
    assert ticket.customer.email == "ana.lima@mail.example"
    assert (ticket.customer.first_name, ticket.customer.last_name) == ("Ana", "Lima")
    [inbound] = ticket.messages.filter(direction=Message.Direction.INBOUND)
    assert inbound.text == FORM["body"]
    assert Event.objects.filter(customer=ticket.customer, kind="ticket_opened").count() == 1
    # The suggestion search did not answer them: it no longer counts towards a deflection.
    assert SearchQuery.objects.get(source=SearchQuery.Source.CONTACT).escalated is True

    thanks = client.get("/contact/sent/").content.decode()
    assert ticket.reference in thanks
    assert "Ana.Lima@mail.example" in thanks
    # Another browser sees no one's reference.
    assert client.__class__().get("/contact/sent/").status_code == 302


def test_the_acknowledgement_carries_the_reference_and_the_best_answers(
    client, worker_in_process, django_capture_on_commit_callbacks
):
    ArticleFactory(title="Where is my parcel?", body="Track it with the link.")

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/contact/", FORM)

    ticket = Ticket.objects.get()
    [email] = mail.outbox
    assert email.to == ["ana.lima@mail.example"]
    assert email.subject == f"[{ticket.reference}] We have your request: Where is my parcel?"
    assert ticket.reference in email.body
    assert "Where is my parcel?" in email.body
    assert "https://care.shop.example/help/articles/" in email.body
    assert email.extra_headers["Auto-Submitted"] == "auto-replied"
    auto = ticket.messages.get(kind=Message.Kind.AUTO_REPLY)
    assert auto.delivery == Message.Delivery.SENT
    assert SearchQuery.objects.get(source=SearchQuery.Source.TICKET).results_count == 1


def test_a_subject_no_article_answers_is_logged_as_a_gap():
    opened = ticket_open(channel="web", email="a@mail.example", subject="Klarna instalments", body="Can I?")

    logged = SearchQuery.objects.get(source=SearchQuery.Source.TICKET)
    assert (logged.text, logged.results_count) == ("Klarna instalments", 0)
    assert "these answers" not in opened.auto_reply.text.lower()


def test_an_existing_customer_is_found_by_any_of_their_addresses_never_duplicated(client):
    customer = CustomerFactory(email="ana@mail.example")

    client.post("/contact/", {**FORM, "email": "ANA@mail.example"})

    assert Ticket.objects.get().customer == customer
    assert Customer.objects.count() == 1


def test_the_order_is_linked_only_when_it_is_the_customers_own(client):
    mine = order_place(number="100501", email="ana.lima@mail.example")
    order_place(number="100502", email="someone.else@mail.example")

    client.post("/contact/", {**FORM, "order_number": "100501"})
    client.post("/contact/", {**FORM, "order_number": "100502"})

    first, second = Ticket.objects.order_by("pk")
    assert first.order == mine
    assert second.order is None
    # Not theirs: kept in what they wrote, linked to nothing.
    assert "(Order number given: 100502)" in second.messages.get(direction=Message.Direction.INBOUND).text


def test_acknowledgements_to_one_address_are_limited_and_never_twice_in_a_row_for_one_subject(client):
    subjects = ["Parcel late", "Parcel late", "Refund", "Voucher", "Gift wrap", "Size"]
    for subject in subjects:
        client.post("/contact/", {**FORM, "subject": subject})

    deliveries = list(
        Message.objects.filter(kind=Message.Kind.AUTO_REPLY).order_by("pk").values_list("delivery", flat=True)
    )
    # The repeated subject is skipped; then three acknowledgements an hour at most.
    assert deliveries == ["pending", "skipped", "pending", "pending", "skipped", "skipped"]
    assert Ticket.objects.count() == 6  # every request is kept all the same


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"subject": ""}, "subject"),
        ({"body": "   "}, "body"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": "x" * 20_001}, "body"),
        ({"order_number": "9" * 51}, "order_number"),
    ],
)
def test_bad_input_is_a_clear_400_and_writes_nothing(client, change, field):
    response = client.post("/contact/", {**FORM, **change})

    assert response.status_code == 400
    assert f'id="id_{field}"' in response.content.decode()
    assert "field-error" in response.content.decode()
    assert Ticket.objects.count() == 0 and Customer.objects.count() == 0


def test_a_flood_from_one_address_is_refused(client, settings):
    for _ in range(10):
        assert client.post("/contact/", FORM).status_code == 302

    response = client.post("/contact/", FORM)

    assert response.status_code == 429
    assert "try again in an hour" in response.content.decode()
    assert Ticket.objects.count() == 10


def test_the_visitor_cookie_is_set_once(client):
    first = client.get("/contact/suggestions/", {"subject": "parcel"})
    assert len(first.cookies[VISITOR_COOKIE].value) == 32
    assert VISITOR_COOKIE not in client.get("/contact/suggestions/", {"subject": "parcel late"}).cookies
    assert SearchQuery.objects.values("visitor").distinct().count() == 1
