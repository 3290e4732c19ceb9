"""Properties of email into tickets (tickets.inbound, tickets.mime), over any bytes at all: a message files
a ticket or a reply, or is set aside as a robot's, or is refused in words, and never leaves half a
record; what a person wrote arrives as they wrote it; a reply threads by our token and by nothing forged;
and the HTML an agent sees carries nothing active."""

import re
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from customers.models import Customer, CustomerIdentity
from knowledgebase.markdown import ATTRIBUTES, TAGS
from lifecycle.models import Event
from tests.properties import rolled_back
from tickets.inbound import EmailTooLarge, email_ingest
from tickets.mime import ROBOT_LOCAL_PARTS, html_sanitise
from tickets.models import Attachment, Message, Ticket
from tickets.tokens import (
    BODY_MARKER,
    OUR_MESSAGE_ID,
    REPLY_ADDRESS,
    body_marker,
    outbound_message_id,
    reply_address,
    thread_token,
    verified,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SHOP = "care@shop.example"
NO_TEXT = "(The message had no text.)"


def row_counts() -> dict[str, int]:
    models = (Ticket, Message, Attachment, Customer, CustomerIdentity, Event)
    return {model.__name__: model.objects.count() for model in models}


# --- Raw messages in any state ------------------------------------------------------------------------

CHARSETS = ["utf-8", "iso-8859-1", "koi8-r", "shift_jis", "utf-16", "x-unknown", "", "utf-8'en'", "\x00"]
header_text = st.one_of(
    st.text(max_size=30).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=30),
    st.builds(
        lambda charset, kind, text: f"=?{charset}?{kind}?{text}?=".encode(),
        st.sampled_from(CHARSETS),
        st.sampled_from(["Q", "B", "X"]),
        st.text(alphabet="abc=_?4F2B+/é", max_size=12),
    ),
    st.builds(
        lambda name, local, domain: f"{name} <{local}@{domain}>".encode("utf-8", "surrogatepass"),
        st.text(max_size=10),
        st.text(max_size=10),
        st.text(max_size=10),
    ),
    st.builds(lambda text: f"<{text}>".encode("utf-8", "surrogatepass"), st.text(max_size=40)),
    st.sampled_from(
        [
            b"Mira <mira@mail.example>",
            b"mira@mail.example",
            b"MAILER-DAEMON@mx.example",
            b"<>",
            b"auto-replied",
            b"bulk",
            b"a" * 1200,
            b"x@" + b"y" * 300 + b".example",
        ]
    ),
)
header_names = st.sampled_from(
    [
        *["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Date", "Reply-To"],
        *["Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version"],
        *["Auto-Submitted", "Precedence", "Return-Path", "X-Autoreply", "Delivered-To", "X-Original-To"],
        "X-Anything",
    ]
)
content_types = st.sampled_from(
    [
        "text/plain",
        "text/html",
        "multipart/mixed",
        "multipart/alternative",
        "multipart/related",
        "multipart/report",
        "message/rfc822",
        "message/delivery-status",
        "application/pdf",
        "image/png",
        "text",
        "garbage/",
        "",
    ]
)
filenames = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["..", "../../etc/passwd", "/", "???", "a\x00b.txt", "rapport é.pdf", "x" * 300, ".", ""]
    ),
)
transfer_encodings = st.sampled_from(
    ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "??"]
)


def part_headers(content_type: str, charset: str, filename: str | None, encoding: str | None) -> bytes:
    lines = [f'Content-Type: {content_type}; charset="{charset}"'.encode("utf-8", "surrogatepass")]
    if filename is not None:
        lines.append(
            f'Content-Disposition: attachment; filename="{filename}"'.encode("utf-8", "surrogatepass")
        )
    if encoding is not None:
        lines.append(f"Content-Transfer-Encoding: {encoding}".encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


leaf_parts = st.builds(
    lambda content_type, charset, filename, encoding, body: (
        part_headers(content_type, charset, filename, encoding) + body
    ),
    content_types,
    st.sampled_from(CHARSETS),
    st.none() | filenames,
    st.none() | transfer_encodings,
    st.binary(max_size=80)
    | st.text(max_size=80).map(lambda text: text.encode("utf-8", "surrogatepass"))
    | st.sampled_from([b"<p>Hi <script>x()</script><b>there</b></p>", b"SGVsbG8=", b"=E9t=E9=", b"\x00\x00"]),
)


def multipart(children):
    return st.builds(
        lambda subtype, boundary, parts, closed: (
            f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
            + b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
            + (b"--" + boundary.encode() + b"--\r\n" if closed else b"")
        ),
        st.sampled_from(["mixed", "alternative", "related", "report", "digest"]),
        st.sampled_from(["b1", "b2", "=_x", "b1"]),
        st.lists(children, max_size=3),
        st.booleans(),
    )


mime_bodies = st.recursive(leaf_parts, multipart, max_leaves=5)


def raw_message(sender, headers, body) -> bytes:
    return (
        (b"From: " + sender + b"\r\n" if sender is not None else b"")
        + b"".join(name.encode() + b": " + value + b"\r\n" for name, value in headers)
        + b"MIME-Version: 1.0\r\n"
        + body
    )


bodies_in_any_state = mime_bodies | st.binary(max_size=100).map(lambda body: b"\r\n" + body)
raw_messages = st.one_of(
    # anything at all in the headers: mostly what opens nothing
    st.builds(
        raw_message,
        st.none() | header_text,
        st.lists(st.tuples(header_names, header_text), max_size=6),
        bodies_in_any_state,
    ),
    # a person's message, so that whatever follows their headers gets filed and stored
    st.builds(
        raw_message,
        st.sampled_from([b"Mira Holt <mira@mail.example>", b"ana@mail.example"]),
        st.lists(
            st.tuples(st.sampled_from(["Subject", "Message-ID", "To", "Date"]), header_text), max_size=3
        ),
        bodies_in_any_state,
    ),
)


@settings(max_examples=120)
@given(raw=raw_messages | st.binary(max_size=400))
@example(raw=b"From: x@y\r\n\r\nhello")
@example(raw=b"From: mira@mail.example\r\nSubject: a\x00b\r\nMessage-ID: <a\x00b@x>\r\n\r\nhello")
@example(raw="From: mira@mail.example\r\nSubject: caf\udcff\r\n\r\nhello".encode("utf-8", "surrogateescape"))
@example(
    raw=b"From: mira@mail.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
    b"Content-Type: application/pdf\r\n"
    b'Content-Disposition: attachment; filename=".."\r\n\r\n%PDF\r\n--b--\r\n'
)
@example(raw=b'From: mira@mail.example\r\nContent-Type: text/plain; charset="\x00"\r\n\r\n\xe9')
def test_any_bytes_file_a_ticket_or_are_set_aside_or_refused_and_never_half_written(raw):
    with rolled_back():
        before = row_counts()

        # when any bytes at all arrive as an email
        try:
            filed = email_ingest(raw=raw, now=NOW)
        except (ValidationError, EmailTooLarge) as refused:
            # then a refusal says why, and nothing of the message was kept
            assert refused.messages if isinstance(refused, ValidationError) else str(refused)
            assert row_counts() == before
            return

        if filed.ticket is None:
            # or a robot's message (or one nobody can be answered at) opens nothing
            assert filed.ignored and filed.message is None and not filed.created
            assert row_counts() == before
            return

        # or else a ticket holds the message, whole: read back as it was written
        assert filed.created
        stored = Message.objects.get(pk=filed.message.pk)
        assert stored.ticket_id == filed.ticket.pk
        assert (stored.text, stored.subject, stored.html, stored.from_address, stored.message_id) == (
            filed.message.text,
            filed.message.subject,
            filed.message.html,
            filed.message.from_address,
            filed.message.message_id,
        )
        assert stored.text.strip() and "\x00" not in stored.text
        for attachment in stored.attachments.all():
            assert attachment.file.size == attachment.size

        # and the same message again files nothing more
        if stored.message_id:
            after = row_counts()
            again = email_ingest(raw=raw, now=NOW)
            assert (again.created, again.message) == (False, filed.message)
            assert row_counts() == after


# --- What a person wrote ------------------------------------------------------------------------------

local_parts = st.from_regex(r"\A[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,20}[A-Za-z0-9])?\Z", fullmatch=True).filter(
    lambda local: ".." not in local and not local.lower().startswith((*ROBOT_LOCAL_PARTS, "reply+"))
)
domains = st.from_regex(
    r"\A(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,10}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,6}\Z", fullmatch=True
)
addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
# Senders as mail servers let them through, including what no answer can be sent to.
senders = addresses | st.sampled_from(
    ["x@y", "x@" + "y" * 300 + ".example", '"two words"@mail.example', "café@mail.example", "a@b@c.example"]
)
message_ids = st.integers(min_value=0, max_value=10**9).map(lambda n: f"<{n}.written@mail.example>")
# What a mail client puts in a header: any characters but control characters.
header_words = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=60)
# A body's text: any characters; line breaks as "\n" (a mail client turns the rarer ones into that too).
bodies = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs",), exclude_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ),
    max_size=400,
)


@st.composite
def written_emails(draw):
    name, address, subject, body = draw(header_words), draw(addresses), draw(header_words), draw(bodies)
    # (not UTF-16: MIME's text needs a charset in which a line break is the byte it is in ASCII)
    charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "koi8-r", "shift_jis", "cp1252"]))
    encoding = draw(st.sampled_from([None, "quoted-printable", "base64", "8bit"]))
    message = EmailMessage()
    message["From"] = Address(display_name=name, addr_spec=address)
    message["To"] = SHOP
    message["Subject"] = subject
    message["Message-ID"] = draw(message_ids)
    try:
        body.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    try:
        message.set_content(body, charset=charset, cte=encoding)
    except ValueError:  # a line too long for 8bit: the client would pick another encoding itself
        message.set_content(body, charset=charset)
    return {"raw": message.as_bytes(), "name": name, "address": address, "subject": subject, "body": body}


def one_line(header: str) -> str:
    return " ".join(header.split())


@settings(max_examples=60)
@given(email=written_emails())
@example(
    email={
        "raw": b'From: "Mira, \\"the\\" Holt" <Mira.Holt@Mail.Example>\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n'
        b"Message-ID: <1@mail.example>\r\n\r\n  Hello\x00 there  \r\n",
        "name": 'Mira, "the" Holt',
        "address": "Mira.Holt@Mail.Example",
        "subject": "Café",
        "body": "  Hello\x00 there  \n",
    }
)
def test_what_a_person_wrote_arrives_as_written_from_whom_they_are(email):
    with rolled_back():
        # when a person's email arrives, in any charset and transfer encoding
        filed = email_ingest(raw=email["raw"], now=NOW)

        # then it opens a ticket from their address, with their subject and their words
        assert filed.created, filed.ignored
        ticket, message = filed.ticket, Message.objects.get(pk=filed.message.pk)
        address = email["address"].lower()
        assert (ticket.customer.email, message.from_address) == (address, address)
        assert ticket.subject == (one_line(email["subject"])[:300].strip() or "(no subject)")
        assert message.text == (email["body"].strip().replace("\x00", "").strip() or NO_TEXT)
        # and the customer is named as they signed
        first, _, last = one_line(email["name"])[:150].partition(" ")
        assert ticket.customer.full_name == f"{first} {last.strip()}".strip()


# --- Threading ----------------------------------------------------------------------------------------


@st.composite
def replies(draw, ticket_id: int, message_id: int, *, token_of: int | None = None):
    """A reply naming the ticket by one of our threading marks, made with `token_of`'s token when given
    (a forgery: another ticket's token, or a signature that is not ours)."""
    token = thread_token(ticket_id if token_of is None else token_of)
    if token_of == -1:
        token = f"{ticket_id}-{draw(st.from_regex(r'[0-9a-f]{20}', fullmatch=True))}"
    domain = outbound_message_id(ticket_id, message_id).split("@")[1]
    where = draw(st.sampled_from(["in-reply-to", "references", "to", "cc", "body"]))
    message = EmailMessage()
    message["From"] = draw(senders)
    message["To"] = f"reply+{token}@{domain}" if where == "to" else SHOP
    if where == "cc":
        message["Cc"] = f"reply+{token.upper()}@{domain}"
    message["Subject"] = draw(header_words)
    others = draw(st.lists(message_ids, max_size=3))
    ours = f"<t{token}.m{message_id}@{domain}>"
    if where == "in-reply-to":
        message["In-Reply-To"] = ours
    if where == "references":
        message["References"] = " ".join([*others, ours, *others])
    text = draw(bodies)
    if where == "body":
        text = f"{text}\n> {draw(bodies).replace(chr(10), ' ')}\n> [ref:{token}]"
    message.set_content(text)
    return message.as_bytes()


def mail_from_someone_else() -> bytes:
    message = EmailMessage()
    message["From"] = "Someone Else <someone@else.example>"
    message["To"] = SHOP
    message["Subject"] = "Another question"
    message["Message-ID"] = "<someone-else@else.example>"
    message.set_content("Hello")
    return message.as_bytes()


@settings(max_examples=25)
@given(data=st.data())
def test_a_reply_threads_by_our_token_wherever_it_carries_it_and_never_by_a_forged_one(data):
    with rolled_back():
        # given a ticket, and another one
        first = email_ingest(raw=data.draw(written_emails())["raw"], now=NOW)
        other = email_ingest(raw=mail_from_someone_else(), now=NOW)
        ticket = first.ticket
        assert other.ticket != ticket
        ours = ticket.messages.filter(direction=Message.Direction.OUTBOUND).latest("pk")

        # when a reply carries our token in its headers, our reply address or the quoted marker
        genuine = email_ingest(raw=data.draw(replies(ticket.pk, ours.pk)), now=NOW)
        # and replies carry another ticket's token, or a signature we never made
        borrowed = email_ingest(raw=data.draw(replies(ticket.pk, ours.pk, token_of=other.ticket.pk)), now=NOW)
        forged = email_ingest(raw=data.draw(replies(ticket.pk, ours.pk, token_of=-1)), now=NOW)

        # then the genuine reply lands on the ticket, from an address an answer can go to, or else it is
        # set aside as one nobody can answer (as a new ticket from that address would be)
        if genuine.ticket is None:
            assert genuine.ignored == "no sender address to answer"
        else:
            assert genuine.ticket == ticket
            validate_email(genuine.message.from_address)
            assert len(genuine.message.from_address) <= 254
        # and neither of the others lands on it
        assert borrowed.ticket is None or borrowed.ticket != ticket
        assert forged.ticket is None or forged.ticket != ticket


@given(
    ticket_id=st.integers(min_value=1, max_value=10**12 - 1),
    signature=st.from_regex(r"\A[0-9a-fA-F]{20}\Z", fullmatch=True),
)
def test_only_the_tickets_own_signature_verifies_in_any_of_the_three_marks(ticket_id, signature):
    genuine = thread_token(ticket_id).split("-")[1]
    for token in (f"{ticket_id}-{signature}", f"{ticket_id}-{genuine.upper()}"):
        matches = [
            OUR_MESSAGE_ID.match(f"t{token}.m1@care.localhost"),
            REPLY_ADDRESS.match(f"reply+{token}@care.localhost"),
            BODY_MARKER.search(f"> quoted [ref:{token}] text"),
        ]
        expected = ticket_id if token.split("-")[1].lower() == genuine else None
        assert [verified(match) for match in matches] == [expected] * 3
    assert body_marker(ticket_id) in f"[ref:{thread_token(ticket_id)}]"
    assert verified(REPLY_ADDRESS.match(reply_address(ticket_id))) == ticket_id


# --- The HTML an agent sees ---------------------------------------------------------------------------

tag_names = st.sampled_from(
    [
        *["script", "style", "img", "iframe", "object", "embed", "svg", "math", "form", "input", "button"],
        *["meta", "link", "base", "template", "noscript", "textarea", "title", "video", "a", "p", "b", "div"],
        *["table", "td", "SCRIPT", "ScRiPt", "image", "frameset", "xmp", "plaintext"],
    ]
)
attribute_names = st.sampled_from(
    [
        "href",
        "src",
        "onclick",
        "onerror",
        "ONLOAD",
        "style",
        "srcset",
        "formaction",
        "xlink:href",
        "title",
        "id",
    ]
)
attribute_values = st.sampled_from(
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " java\tscript:alert(1)",
        "java\nscript:x",
        "&#106;avascript:x",
        "&#x6A;avascript:x",
        "\x01javascript:x",
        "data:text/html,<script>x</script>",
        "vbscript:x",
        "https://shop.example/",
        "mailto:a@b.example",
        "//evil.example/x",
        "x()",
        "expression(alert(1))",
        "",
    ]
) | st.text(max_size=10)


def element(children):
    return st.builds(
        lambda tag, attributes, body, closed: (
            f"<{tag}"
            + "".join(f' {name}="{value}"' for name, value in attributes)
            + ">"
            + body
            + (f"</{tag}>" if closed else "")
        ),
        tag_names,
        st.lists(st.tuples(attribute_names, attribute_values), max_size=3),
        children,
        st.booleans(),
    ) | st.lists(children, min_size=2, max_size=3).map("".join)


html_documents = st.recursive(
    st.text(max_size=15)
    | st.sampled_from(
        ["<!-- <script>x</script> -->", "<![CDATA[<script>x</script>]]>", "</p>", "<", "&lt;", "<a"]
    ),
    element,
    max_leaves=10,
)
ALLOWED_ATTRIBUTES = {tag: attributes for tag, attributes in ATTRIBUTES.items() if tag != "img"}
# What the sanitiser (ammonia) allows on every tag: inert words, never a link or a script.
GENERIC_ATTRIBUTES = {"lang", "title"}
SAFE_SCHEMES = {"http", "https", "mailto"}


class Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.found.append((tag, attrs))


@settings(max_examples=150)
@given(html=html_documents)
def test_the_html_an_agent_sees_holds_no_script_no_handler_no_image_and_no_active_link(html):
    # when a customer's HTML is sanitised for the agent's screen
    reader = Elements()
    reader.feed(html_sanitise(html))
    reader.close()

    # then only the allowed tags remain, with only their allowed attributes
    for tag, attributes in reader.found:
        assert tag in TAGS and tag != "img", tag
        for name, value in attributes:
            link_rel = {"rel"} if tag == "a" else set()
            allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | GENERIC_ATTRIBUTES | link_rel
            assert name in allowed, (tag, name)
            if name == "href":
                # as a browser reads a link: control characters, tabs and newlines are dropped first
                link = re.sub(r"[\x00-\x20]", "", value or "")
                scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", link)
                assert scheme is None or scheme.group(1).lower() in SAFE_SCHEMES, value


# --- The endpoint -------------------------------------------------------------------------------------


@settings(max_examples=40)
@given(raw=raw_messages | st.binary(max_size=200))
@example(raw=b"From: x@y\r\n\r\nhello")
@example(raw=b"")
def test_the_endpoint_answers_any_body_with_a_status_of_the_contract_never_an_error(api, raw):
    with rolled_back():
        # when any bytes are posted as a raw message
        response = api.generic("POST", "/api/v1/inbound-email/", raw, content_type="message/rfc822")

        # then the answer is one the contract names, in the API's error shape when refused
        assert response.status_code in (200, 201, 202, 400, 413), response.content
        body = response.json()
        if response.status_code == 400:
            assert body and all(isinstance(messages, list) and messages for messages in body.values())
        else:
            assert {"ticket", "message", "created"} <= set(body)
