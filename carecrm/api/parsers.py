import json
import math

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def read_limited(stream, parser_context, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to pass `limit` bytes."""
    request = (parser_context or {}).get("request")
    declared = request.META.get("CONTENT_LENGTH") if request is not None else None
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    raw = stream.read(limit + 1) if stream is not None else b""
    if len(raw) > limit:
        raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
    return raw


class RawEmailParser(parsers.BaseParser):
    """A raw RFC 822 message (`Content-Type: message/rfc822`), handed on as bytes: 25 MB of attachments
    in base64 come to about 34 MB of message, and past INBOUND_EMAIL_MAX_BYTES the answer is 413."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        return read_limited(stream, parser_context, settings.INBOUND_EMAIL_MAX_BYTES)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser reads the whole stream whatever its size; this one stops past
    DATA_UPLOAD_MAX_MEMORY_SIZE (413) and turns pathological JSON (too deep, absurd numbers) into 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_limited(stream, parser_context, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            return json.loads(
                raw.decode(
                    parser_context.get("encoding", settings.DEFAULT_CHARSET)
                    if parser_context
                    else settings.DEFAULT_CHARSET
                ),
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
            )
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {str(exc)[:200]}") from exc


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(literal):
    # 1e400 is how Infinity gets past parse_constant: it overflows to inf, which no field should store.
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal[:20]} is out of range")
    return value
