"""Ticket emails whose sender died between claiming and marking them: left alone while the claim may still
be at work, then taken back by the recovery job (a worker really killed: tests/tickets/test_faults.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from tickets import outbound, services
from tickets.models import Message, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shop_mail")]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _stalled_reply(*, claimed_at: datetime) -> Message:
    opened = services.ticket_open(
        channel=Ticket.Channel.PHONE, email="ana@mail.example", subject="Parcel", body="Where?", now=NOW
    )
    reply = services.ticket_reply(ticket=opened.ticket, author=None, text="On its way.", now=NOW)
    # what a sender leaves when it dies after its claim
    Message.objects.filter(pk=reply.pk).update(delivery="sending", claimed_at=claimed_at)
    return reply


def test_a_claim_within_its_lease_is_still_its_senders():
    reply = _stalled_reply(claimed_at=NOW)

    said = outbound.messages_recover(now=NOW + outbound.SEND_LEASE - timedelta(seconds=1))

    assert said == "0 stalled ticket emails queued again, 0 found sent"
    assert Message.objects.get(pk=reply.pk).delivery == "sending"


def test_a_stalled_email_the_backend_cannot_vouch_for_goes_out_again_under_its_message_id():
    # given a reply stalled in `sending`, with a backend that cannot say what it accepted (anymail's)
    reply = _stalled_reply(claimed_at=NOW)
    later = NOW + outbound.SEND_LEASE + timedelta(minutes=1)

    # when the recovery job and then the sweep run
    recovered = outbound.messages_recover(now=later)
    swept = outbound.messages_sweep(now=later)

    # then it was sent once more, under the Message-ID it had, so the mailbox shows one message
    assert (recovered, swept) == (
        "1 stalled ticket emails queued again, 0 found sent",
        "1 pending ticket emails sent",
    )
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [f"<{reply.message_id}>"]
    assert Message.objects.get(pk=reply.pk).delivery == "sent"
