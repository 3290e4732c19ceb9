"""The signed token that ties an email to its ticket: in our outbound Message-IDs, our reply-to address
and a marker at the bottom of our emails. An HMAC in lower-case hex, so a system that lower-cases an
address does not break it, and a forged header cannot name someone else's ticket."""

import re

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

TOKEN_SALT = "tickets.thread"  # noqa: S105 (a salt, not a secret)
_TOKEN = r"(\d{1,12})-([0-9a-f]{20})"  # noqa: S105 (a pattern)
OUR_MESSAGE_ID = re.compile(rf"^t{_TOKEN}\.", re.IGNORECASE)
REPLY_ADDRESS = re.compile(rf"^reply\+{_TOKEN}@", re.IGNORECASE)
BODY_MARKER = re.compile(rf"\[ref:{_TOKEN}\]", re.IGNORECASE)


def _signature(ticket_id: int) -> str:
    return salted_hmac(TOKEN_SALT, str(ticket_id)).hexdigest()[:20]


def thread_token(ticket_id: int) -> str:
    return f"{ticket_id}-{_signature(ticket_id)}"


def verified(match: re.Match | None) -> int | None:
    if match is None:
        return None
    ticket_id, signature = int(match.group(1)), match.group(2).lower()
    return ticket_id if constant_time_compare(signature, _signature(ticket_id)) else None


def mail_domain() -> str:
    return settings.CARECRM["MAIL_DOMAIN"]


def reply_address(ticket_id: int) -> str:
    return f"reply+{thread_token(ticket_id)}@{mail_domain()}"


def outbound_message_id(ticket_id: int, message_id: int) -> str:
    return f"t{thread_token(ticket_id)}.m{message_id}@{mail_domain()}"


def body_marker(ticket_id: int) -> str:
    return f"[ref:{thread_token(ticket_id)}]"
