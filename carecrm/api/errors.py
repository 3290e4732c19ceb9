"""One error shape for the whole API: 400 `{field: [messages]}`, other codes `{"detail": message}`."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from carecrm.api.parsers import PayloadTooLarge
from carecrm.errors import Conflict

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_messages(exc))
    elif isinstance(exc, exceptions.ParseError):
        exc = exceptions.ValidationError({"body": [str(exc.detail)]})
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads `request.body` for JSON parsers before our parser sees the stream, so Django's own
        # size check fires first; left alone it becomes Django's HTML 400 instead of the API's 413.
        exc = PayloadTooLarge(f"Request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    if isinstance(exc, Conflict):
        return Response({exc.field: [exc.message]}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, OperationalError) and _is_transient(exc):
        # Two writers waited on each other (a merge and a payment on the same customer): the database
        # chose this one to give up. Nothing was written; the same request succeeds when sent again.
        logger.warning("Transient database conflict answered 409", exc_info=True)
        return Response(
            {"detail": "The request clashed with a concurrent change; send it again."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        # A unique constraint lost a race the service did not retry: the caller may simply send again.
        logger.warning("Integrity error answered 409", exc_info=True)
        return Response(
            {"detail": "The request clashed with a concurrent change; send it again."},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 400 and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response


def _django_messages(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


_TRANSIENT = ("deadlock detected", "could not serialize access", "database is locked")


def _is_transient(exc: OperationalError) -> bool:
    return any(marker in str(exc) for marker in _TRANSIENT)
