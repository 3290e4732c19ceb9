"""One error shape for the whole API: 400 `{field: [messages]}`, other codes `{"detail": message}`."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
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
    if _database_unavailable(exc):
        # The database went away under the request (a restart, a failover): the client is to come back
        # shortly, not to take it for a fault of its request. A 500 would also page someone for nothing.
        logger.warning("Database unavailable, answered 503: %s", " ".join(str(exc).split()))
        return Response(
            {"detail": "The database is unavailable for a moment; send the request again shortly."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
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


# About as long as a PostgreSQL restart takes.
DATABASE_RETRY_AFTER_SECONDS = 5
# SQLSTATE class 08 (connection exception), and the server shutting down or not yet accepting connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def _database_unavailable(exc: Exception) -> bool:
    """Whether `exc` says the database server could not be reached or went away, rather than that it
    refused this request: connection refused, the connection cut mid-request, a server shutting down."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    cause = exc.__cause__
    # SQLite's errors are about the file or the statement: none of them means "come back later".
    if cause is None or not type(cause).__module__.startswith("psycopg"):
        return False
    sqlstate = getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None)
    # No SQLSTATE: no server answered at all (refused, reset, closed).
    return sqlstate is None or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
