import socket

import pytest
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.backends.postgresql.base import DatabaseWrapper as PostgresWrapper

from carecrm.api.errors import exception_handler


def test_a_deadlock_victim_is_told_to_send_again_not_a_500():
    response = exception_handler(
        OperationalError("deadlock detected\nDETAIL: Process 1 waits for ShareLock"), {}
    )
    assert response.status_code == 409
    assert "send it again" in response.data["detail"]


def test_other_database_failures_are_not_dressed_up_as_conflicts():
    assert exception_handler(OperationalError("connection refused"), {}) is None


# --- The database going away -----------------------------------------------------------------------


def _unreachable_database_error(django_db_blocker) -> OperationalError:
    """What Django raises when nothing listens where PostgreSQL should be (it is restarting)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
        settings_dict = {
            **connection.settings_dict,
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "carecrm",
            "HOST": "127.0.0.1",
            "PORT": str(holder.getsockname()[1]),
            "OPTIONS": {},
        }
        # Not the test database: only a connection attempt, refused before any query.
        with pytest.raises(OperationalError) as raised, django_db_blocker.unblock():
            PostgresWrapper(settings_dict, alias="unreachable").ensure_connection()
    return raised.value


def test_a_database_that_cannot_be_reached_is_answered_503_with_retry_after(django_db_blocker):
    response = exception_handler(_unreachable_database_error(django_db_blocker), {})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "send the request again" in response.data["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_terminates_is_answered_503():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: a server ending a session is a PostgreSQL server's doing")
    # given a session of its own, which the server then terminates (as it does to all on shutdown)
    victim = connection.copy()
    try:
        victim.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [victim.connection.get_backend_pid()])
        with pytest.raises((OperationalError, InterfaceError)) as raised, victim.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        victim.close()

    assert exception_handler(raised.value, {}).status_code == 503


@pytest.mark.django_db
def test_a_statement_the_database_refused_is_not_a_503():
    # A cancelled statement (here: over its time limit) is about this request, not the server's absence.
    if connection.vendor == "postgresql":
        statement, expected = "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)", OperationalError
    else:
        statement, expected = "SELECT * FROM no_such_table", OperationalError
    with pytest.raises(expected) as raised, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert exception_handler(raised.value, {}) is None
