"""The demo support desk: teams, macros and a fortnight of requests through the services, sending nothing."""

from datetime import UTC, datetime

import pytest

from carecrm import demo
from lifecycle import demo as lifecycle_demo
from orders import demo as orders_demo
from tests.factories import no_progress
from tickets import demo as tickets_demo
from tickets.models import Chat, ChatInvitation, CsatRating, Macro, Message, Team, Ticket

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_the_demo_desk_has_answered_resolved_and_rated_requests_and_sends_nothing():
    options = demo.Options(customers=30, seed=1)
    demo.users_seed(options=options, progress=no_progress, now=NOW)
    lifecycle_demo.customers_seed(options=options, progress=no_progress, now=NOW)
    orders_demo.orders_seed(options=options, progress=no_progress, now=NOW)

    said = tickets_demo.tickets_seed(options=options, progress=no_progress, now=NOW)

    assert said == "20 tickets, 16 chats, 4 macros, 3 teams"
    assert Team.objects.count() == 3 and Macro.objects.count() == 4
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"new", "open", "pending", "resolved"} <= statuses
    assert Ticket.objects.filter(priority="urgent").exists()
    assert Ticket.objects.filter(assignee__username__in=["agent", "manager"]).exists()
    assert Message.objects.filter(direction="outbound", kind="message", author__username="agent").exists()
    assert CsatRating.objects.exists()
    assert not Message.objects.filter(delivery__in=["pending", "sending"]).exists()
    # Live chats: answered and rated, and missed ones waiting for an email answer; invitations answered.
    assert set(Chat.objects.values_list("status", flat=True)) == {"ended", "missed"}
    assert not Message.objects.filter(channel="chat").exclude(delivery__in=["", "skipped"]).exists()
    assert set(ChatInvitation.objects.values_list("answer", flat=True)) == {"", "accepted", "declined"}
    assert (
        tickets_demo.tickets_seed(options=options, progress=no_progress, now=NOW)
        == "support desk already set up"
    )
