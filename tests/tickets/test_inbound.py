"""Email into tickets, from real RFC 822 bytes: threading by headers, by our reply address, by the marker
in the body and by the subject reference; duplicates, auto-replies, bounces and loops; and whatever state
a message arrives in."""

import io
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from carecrm import clock
from customers.models import CustomerIdentity
from customers.services import identity_attach
from tests.orders.track_factories import order_place
from tickets.inbound import email_ingest
from tickets.models import Message, Ticket
from tickets.tokens import body_marker, outbound_message_id, reply_address

pytestmark = pytest.mark.django_db
SHOP = "care@shop.example"


def mail(
    *,
    sender="Mira Holt <mira.holt@mail.example>",
    to=SHOP,
    subject="Where is my parcel?",
    text="Hello, my parcel is late.",
    html="<p>Hello, my parcel is <b>late</b>.</p>",
    headers=None,
    attachments=(),
) -> bytes:
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = to
    if subject is not None:
        message["Subject"] = subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = make_msgid(domain="mail.example")
    for name, value in (headers or {}).items():
        message[name] = value
    # multipart/alternative by default, as mail clients send it
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def first_ticket() -> Ticket:
    filed = email_ingest(raw=mail())
    assert filed.created
    return filed.ticket


def our_last_message_id(ticket: Ticket) -> str:
    return ticket.messages.filter(direction=Message.Direction.OUTBOUND).latest("pk").message_id


# --- Opening and threading --------------------------------------------------------------------------


def test_a_new_email_opens_a_ticket_with_sanitised_html_and_an_acknowledgement():
    raw = mail(
        html='<p>Late <b>parcel</b></p><script>steal()</script><img src="https://track.example/px.gif">'
        '<a href="javascript:alert(1)">x</a><p onclick="x()">click</p>',
    )

    filed = email_ingest(raw=raw)

    ticket = filed.ticket
    assert (ticket.channel, ticket.subject, ticket.customer.email) == (
        "email",
        "Where is my parcel?",
        "mira.holt@mail.example",
    )
    assert ticket.customer.first_name == "Mira"
    inbound = filed.message
    assert inbound.text == "Hello, my parcel is late."
    assert "<b>parcel</b>" in inbound.html
    for forbidden in ("<script", "steal", "<img", "track.example", "javascript:", "onclick"):
        assert forbidden not in inbound.html
    acknowledgement = ticket.messages.get(kind=Message.Kind.AUTO_REPLY)
    assert acknowledgement.message_id == outbound_message_id(ticket.pk, acknowledgement.pk)
    assert acknowledgement.text.endswith(body_marker(ticket.pk))


def test_a_reply_threads_by_its_headers():
    ticket = first_ticket()

    reply = email_ingest(
        raw=mail(subject="Re: anything", headers={"In-Reply-To": f"<{our_last_message_id(ticket)}>"})
    )

    assert reply.ticket == ticket and reply.created
    assert ticket.messages.filter(direction=Message.Direction.INBOUND).count() == 2


def test_a_reply_threads_by_our_reply_address_when_the_headers_are_gone():
    ticket = first_ticket()

    reply = email_ingest(raw=mail(subject="new words", to=reply_address(ticket.pk).upper()))

    assert reply.ticket == ticket


def test_a_forwarded_reply_threads_by_the_marker_quoted_in_its_body():
    ticket = first_ticket()
    quoted = f"---------- Forwarded message ---------\n> We have your request\n> {body_marker(ticket.pk)}"

    reply = email_ingest(raw=mail(sender="partner@mail.example", subject="Fwd: your request", text=quoted))

    assert reply.ticket == ticket


def test_the_subject_reference_counts_only_from_the_tickets_own_customer():
    ticket = first_ticket()
    subject = f"About [{ticket.reference}]"

    stranger = email_ingest(raw=mail(sender="someone@else.example", subject=subject))
    owner = email_ingest(raw=mail(subject=subject, text="Any news?"))

    assert stranger.ticket != ticket
    assert owner.ticket == ticket


def test_a_forged_header_cannot_attach_mail_to_someone_elses_ticket():
    ticket = first_ticket()
    forged = f"<t{ticket.pk}-{'0' * 20}.m1@care.localhost>"

    filed = email_ingest(raw=mail(sender="mallory@evil.example", headers={"In-Reply-To": forged}))

    assert filed.ticket != ticket
    assert filed.ticket.customer.email == "mallory@evil.example"


def test_a_reply_from_a_second_address_of_the_same_customer_lands_on_the_same_ticket_and_customer():
    ticket = first_ticket()
    identity_attach(customer=ticket.customer, kind=CustomerIdentity.Kind.EMAIL, value="mira@work.example")

    by_header = email_ingest(
        raw=mail(sender="mira@work.example", headers={"References": f"<{our_last_message_id(ticket)}>"})
    )
    new_subject = email_ingest(raw=mail(sender="mira@work.example", subject="Another question"))

    assert by_header.ticket == ticket
    assert new_subject.ticket.customer == ticket.customer


def test_a_reply_reopens_a_resolved_ticket_within_seven_days_and_opens_a_follow_up_after():
    ticket = first_ticket()
    now = clock.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.RESOLVED, resolved_at=now - timedelta(days=2)
    )
    header = {"In-Reply-To": f"<{our_last_message_id(ticket)}>"}

    reopened = email_ingest(raw=mail(headers=header, text="It broke again"), now=now)
    ticket.refresh_from_db()
    assert reopened.ticket == ticket and ticket.status == Ticket.Status.OPEN

    Ticket.objects.filter(pk=ticket.pk).update(
        status=Ticket.Status.RESOLVED, resolved_at=now - timedelta(days=9)
    )
    follow_up = email_ingest(raw=mail(headers=header, text="And again"), now=now)
    assert follow_up.ticket != ticket
    assert follow_up.ticket.follow_up_of == ticket


# --- Nothing twice, nothing for robots --------------------------------------------------------------


def test_the_same_message_delivered_twice_files_once():
    raw = mail()

    first, second = email_ingest(raw=raw), email_ingest(raw=raw)

    assert first.created and not second.created
    assert second.message == first.message
    assert Ticket.objects.count() == 1
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Mira Holt <mira.holt@mail.example>"),
        ({"X-Autoreply": "yes"}, "mira.holt@mail.example"),
        ({"Precedence": "bulk"}, "news@mail.example"),
        ({}, "MAILER-DAEMON@mx.mail.example"),
        ({}, SHOP.replace("care@", "noreply@")),
    ],
)
def test_auto_replies_and_robots_open_nothing_and_get_no_answer(headers, sender, settings):
    filed = email_ingest(raw=mail(sender=sender, headers=headers))

    assert filed.ticket is None and filed.ignored
    assert Ticket.objects.count() == 0 and Message.objects.count() == 0


def test_a_bounce_opens_nothing():
    bounce = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.shop.example>\r\n"
        b"To: care@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce-1@mx.shop.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.shop.example\r\n\r\n"
        b"Final-Recipient: rfc822; gone@mail.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b1--\r\n"
    )

    filed = email_ingest(raw=bounce)

    assert (
        filed.ticket is None and "bounce" in filed.ignored
    ) or "MAILER-DAEMON".lower() in filed.ignored.lower()
    assert Ticket.objects.count() == 0


def test_our_own_mail_coming_back_is_a_loop_not_a_ticket(settings):
    settings.DEFAULT_FROM_EMAIL = "Shop care <care@shop.example>"

    filed = email_ingest(raw=mail(sender="care@shop.example"))

    assert "loop" in filed.ignored
    assert Ticket.objects.count() == 0


# --- Whatever state it arrives in -------------------------------------------------------------------


def test_an_unknown_charset_an_8bit_body_and_missing_headers_still_make_a_ticket():
    raw = (
        b"From: =?x-unknown?q?Jos=E9?= <jose@mail.example>\r\n"
        b"To: care@shop.example\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="x-unknown-charset"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Caf\xe9 cr\xe8me: the parcel \xe0 moiti\xe9 arriv\xe9.\r\n"
    )

    filed = email_ingest(raw=raw)

    assert filed.created
    assert filed.ticket.subject == "(no subject)"
    assert "the parcel" in filed.message.text
    assert filed.message.message_id is None


def test_nested_multiparts_html_only_and_a_large_attachment():
    outer = EmailMessage()
    outer["From"] = "ana@mail.example"
    outer["To"] = SHOP
    outer["Subject"] = "Photo of the damage"
    outer["Message-ID"] = "<nested-1@mail.example>"
    outer.set_content("<p>See the <b>photo</b> &amp; invoice</p>", subtype="html")
    outer.add_related(b"\x89PNG\r\n" + b"\x00" * 100, maintype="image", subtype="png", cid="<photo>")
    big = b"%PDF-1.7\n" + b"x" * (25 * 1024 * 1024)
    outer.add_attachment(big, maintype="application", subtype="pdf", filename="invoice.pdf")
    inner = EmailMessage()
    inner["Subject"] = "Forwarded order confirmation"
    inner.set_content("Order 100501 confirmed")
    outer.add_attachment(inner)

    filed = email_ingest(raw=outer.as_bytes())

    assert filed.created
    assert "See the photo & invoice" in filed.message.text
    assert "Order 100501" not in filed.message.text
    attachments = {a.filename: a for a in filed.message.attachments.all()}
    assert attachments["message.eml"].content_type == "message/rfc822"
    assert attachments["invoice.pdf"].size == len(big)
    assert attachments["invoice.pdf"].file.read(8) == b"%PDF-1.7"


def test_garbage_is_still_kept_when_it_has_a_sender():
    filed = email_ingest(raw=b"From: x@mail.example\r\n\r\n\xff\xfe\x00\x01 binary garbage")

    assert filed.created
    assert "\x00" not in filed.message.text


# --- The endpoint and the command -------------------------------------------------------------------


@pytest.fixture
def raw_api(integration_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {integration_token.key}")
    return client


def post_raw(client, raw: bytes):
    return client.generic("POST", "/api/v1/inbound-email/", raw, content_type="message/rfc822")


def test_the_endpoint_files_once_then_answers_200_and_robots_202(raw_api):
    raw = mail()

    first, again = post_raw(raw_api, raw), post_raw(raw_api, raw)
    robot = post_raw(raw_api, mail(headers={"Auto-Submitted": "auto-replied"}))

    assert first.status_code == 201
    body = first.json()
    assert body["created"] is True and body["reference"].startswith("CR-")
    assert again.status_code == 200 and again.json()["message"] == body["message"]
    assert robot.status_code == 202 and robot.json()["ticket"] is None


def test_the_endpoint_refuses_what_it_cannot_take(raw_api, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 1000

    too_big = post_raw(raw_api, mail(text="x" * 5000))
    wrong_type = raw_api.post("/api/v1/inbound-email/", {"raw": "x"}, format="json")
    empty = post_raw(raw_api, b"   ")
    anonymous = post_raw(APIClient(), mail())

    assert too_big.status_code == 413
    assert wrong_type.status_code == 415
    assert empty.status_code == 400
    assert anonymous.status_code == 401
    assert Ticket.objects.count() == 0


def test_ingest_email_reads_a_file_and_standard_input(tmp_path, monkeypatch):
    path = tmp_path / "message.eml"
    raw = mail()
    path.write_bytes(raw)
    out = io.StringIO()

    call_command("ingest_email", file=str(path), stdout=out)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("ingest_email", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("filed on CR-")
    assert lines[1].startswith("already filed on CR-")


def test_an_order_number_in_the_subject_or_body_links_the_customers_own_order_only():
    mine = order_place(number="NW-20417", email="mira.holt@mail.example")
    order_place(number="100502", email="someone.else@mail.example")

    by_subject = email_ingest(raw=mail(subject="Order #NW-20417 is late"))
    by_body = email_ingest(raw=mail(subject="Help", text="It is about nw-20417, ordered on the 2nd."))
    not_theirs = email_ingest(raw=mail(subject="Order 100502", text="Where is it?"))

    assert by_subject.ticket.order == mine
    assert by_body.ticket.order == mine
    assert not_theirs.ticket.order is None
