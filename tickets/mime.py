"""Reading one raw RFC 822 message, whatever state it arrives in: a bad or unknown charset, missing
headers, nested multiparts, an 8-bit body, HTML only, a forwarded message, a bounce. `email_parse`
never raises on content; what it cannot read it keeps as bytes or replaces, and it says why a message
must not open a ticket (an auto-reply, a bounce, a mail loop)."""

import email
import email.policy
import html as html_lib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

import nh3

from knowledgebase.markdown import ATTRIBUTES, TAGS

MAX_SUBJECT = 300
# Senders that are machines answering machines.
ROBOT_LOCAL_PARTS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")
_BLOCK_TAGS = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")


@dataclass
class Attachment:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    from_address: str
    from_name: str
    to_addresses: list[str]
    subject: str
    date: datetime | None
    text: str
    html: str  # sanitised: no scripts, handlers, remote images or javascript: links
    attachments: list[Attachment] = field(default_factory=list)
    # Why this message must open nothing and be answered by nothing ("" for a person's mail).
    machine_reason: str = ""


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot decode is as good as absent
        return ""
    # NUL gets into a header raw or through an encoded word (=?utf-8?q?=00?=); PostgreSQL stores no NUL
    # in text, and it means nothing in a subject, a name or an address.
    return " ".join(str(value or "").replace("\x00", "").split())


def message_ids(value: str) -> list[str]:
    return [found.strip() for found in _MESSAGE_ID.findall(value or "")][:50]


def _decoded(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            return payload.decode(charset, errors="replace")
        except (LookupError, ValueError):  # a charset nobody has heard of, or not even a name ("\x00")
            return payload.decode("utf-8", errors="replace")
    if isinstance(content, bytes):
        return content.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else str(content)


def html_sanitise(html: str) -> str:
    """What an agent may see of a customer's HTML: the article tag list, links to http(s) and mailto
    only, and no images at all (a remote image tells the sender when the mail was read)."""
    return nh3.clean(
        html,
        tags=TAGS - {"img"},
        attributes={tag: attrs for tag, attrs in ATTRIBUTES.items() if tag != "img"},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def html_to_text(html: str) -> str:
    """Readable text of an HTML-only message: line breaks where blocks end, tags out, entities read."""
    text = _TAG.sub("", _BLOCK_TAGS.sub("\n", html))
    return "\n".join(line.strip() for line in html_lib.unescape(text).splitlines()).strip()


def _machine_reason(message: EmailMessage, from_address: str) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = _header(message, name)
        if value and (name != "X-Auto-Response-Suppress" or "all" in value.lower() or "oof" in value.lower()):
            return f"{name}: {value}"
    if (
        message.get_content_type() == "multipart/report"
        or message.get_content_type() == "message/delivery-status"
    ):
        return "a delivery status report (bounce)"
    local = from_address.split("@")[0].lower()
    if local.startswith(ROBOT_LOCAL_PARTS) or local in ROBOT_LOCAL_PARTS:
        return f"sent by {from_address}"
    if _header(message, "Return-Path") == "<>":
        return "an empty Return-Path (a bounce)"
    return ""


def _leaves(part: EmailMessage, depth: int = 0):
    """The parts that carry content, in order, without descending into attached messages."""
    if depth > 20:  # a message nested this deep is an attack on the parser, not mail
        return
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for child in part.iter_parts():
        yield from _leaves(child, depth + 1)


def email_parse(raw: bytes) -> ParsedEmail:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    from_name, from_address = parseaddr(_header(message, "From"))
    from_address = from_address.strip().lower()
    to_addresses = [
        address.strip().lower()
        for _name, address in getaddresses(
            [_header(message, name) for name in ("To", "Cc", "Delivered-To", "X-Original-To")]
        )
        if address
    ]
    try:
        date = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError, IndexError):
        date = None

    text_parts, html_parts, attachments = [], [], []
    for part in _leaves(message):
        content_type = part.get_content_type()
        filename = (part.get_filename() or "").replace("\x00", "")
        if content_type == "message/rfc822":
            # A forwarded or attached message: kept whole as a file, its text not mistaken for ours.
            inner = part.get_payload()
            content = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
            attachments.append(
                Attachment(
                    filename=(filename or "message.eml")[:200], content_type=content_type, content=content
                )
            )
        elif (
            part.get_content_disposition() == "attachment" or filename or not content_type.startswith("text/")
        ):
            payload = part.get_payload(decode=True) or b""
            attachments.append(
                Attachment(
                    filename=(filename or "attachment")[:200],
                    content_type=content_type[:100],
                    content=payload,
                )
            )
        elif content_type == "text/html":
            html_parts.append(_decoded(part))
        else:
            text_parts.append(_decoded(part))
    html = html_sanitise("\n".join(html_parts)) if html_parts else ""
    text = "\n\n".join(part.strip() for part in text_parts if part.strip()) or html_to_text(html)
    message_id_values = message_ids(_header(message, "Message-ID"))
    return ParsedEmail(
        message_id=message_id_values[0] if message_id_values else "",
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        from_address=from_address,
        from_name=from_name.strip()[:150],
        to_addresses=to_addresses,
        subject=_header(message, "Subject")[:MAX_SUBJECT],
        date=date,
        text=text.replace("\x00", ""),
        html=html,
        attachments=attachments,
        machine_reason=_machine_reason(message, from_address),
    )
