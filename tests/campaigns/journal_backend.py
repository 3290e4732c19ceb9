"""An email backend for the fault tests: each accepted message's Message-ID is appended to a journal
file and flushed to disk before `send_messages` returns, so what a worker killed by SIGKILL had handed
over is known, as an ESP knows what it accepted. It can be asked about a Message-ID
(`message_accepted`), which campaigns.sending uses for a batch whose worker died mid-way.

CAMPAIGN_JOURNAL_DELAY makes it a slow ESP (a pause before each message is accepted);
CAMPAIGN_JOURNAL_HOLD a slow answer (a pause after it was accepted, before the sender hears so)."""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


def journal_path() -> str:
    return os.environ["CAMPAIGN_JOURNAL"]


def journal() -> list[str]:
    try:
        with open(journal_path()) as handle:
            return [line.strip() for line in handle if line.strip()]
    except FileNotFoundError:
        return []


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        delay = float(os.environ.get("CAMPAIGN_JOURNAL_DELAY", "0"))
        hold = float(os.environ.get("CAMPAIGN_JOURNAL_HOLD", "0"))
        for message in email_messages:
            if delay:
                time.sleep(delay)  # a slow ESP, so that a kill lands in the middle of a batch
            with open(journal_path(), "a") as handle:
                handle.write(message.extra_headers["Message-ID"] + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            if hold:
                time.sleep(hold)  # accepted, but the sender has not heard yet: a kill lands in between
        return len(email_messages)

    def message_accepted(self, message_id: str) -> bool:
        return message_id in journal()
