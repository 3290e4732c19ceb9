from django.db import OperationalError

from carecrm.api.errors import exception_handler


def test_a_deadlock_victim_is_told_to_send_again_not_a_500():
    response = exception_handler(
        OperationalError("deadlock detected\nDETAIL: Process 1 waits for ShareLock"), {}
    )
    assert response.status_code == 409
    assert "send it again" in response.data["detail"]


def test_other_database_failures_are_not_dressed_up_as_conflicts():
    assert exception_handler(OperationalError("connection refused"), {}) is None
