"""Support for the property-based tests (hypothesis).

pytest-django opens one transaction for a whole test, and hypothesis runs many examples inside that one
test: without care, the rows of one example are still there for the next, which then tests something else
than it says (a customer that already exists, a Message-ID already filed).
"""

from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back():
    """One example's writes, undone when it ends (passed or failed), so every example starts from the rows
    the test itself created and nothing else. A savepoint, so it nests in the test's transaction."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
