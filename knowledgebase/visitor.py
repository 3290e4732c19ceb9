"""The anonymous visitor: a random id in a cookie that ties one browser's searches, clicks, votes and a
later contact form together, so a search followed by no ticket can count as a deflection. It names no
one and grants nothing."""

import re
import secrets

from django.http import HttpResponse

VISITOR_COOKIE = "kb_visitor"
VISITOR_COOKIE_AGE = 60 * 60 * 24 * 365
_VISITOR = re.compile(r"^[0-9a-f]{32}$")


def visitor_id(request) -> str:
    """This browser's anonymous id: ties its searches, clicks, votes and a later contact form together.
    Created on first use; `visitor_remember` stores it in the response."""
    value = request.COOKIES.get(VISITOR_COOKIE, "")
    if not _VISITOR.match(value):
        value = getattr(request, "_kb_new_visitor", None) or secrets.token_hex(16)
        request._kb_new_visitor = value
    return value


def visitor_remember(request, response: HttpResponse) -> HttpResponse:
    new = getattr(request, "_kb_new_visitor", None)
    if new:
        response.set_cookie(
            VISITOR_COOKIE,
            new,
            max_age=VISITOR_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response
