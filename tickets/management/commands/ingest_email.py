import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tickets.inbound import EmailTooLarge, email_ingest


class Command(BaseCommand):
    help = (
        "Read one raw RFC 822 message (standard input by default) into a ticket: a new ticket, or a "
        "message on the ticket it answers. The same Message-ID again files nothing new. Auto-replies, "
        "bounces and mail loops are reported and open nothing. Exit status 0 when filed or ignored, "
        "2 when the message could not be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="A file holding the raw message; standard input without it.")

    def handle(self, *args, **options):
        try:
            raw = Path(options["file"]).read_bytes() if options["file"] else sys.stdin.buffer.read()
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}", returncode=2) from error
        if not raw.strip():
            raise CommandError("The message is empty.", returncode=2)
        try:
            filed = email_ingest(raw=raw)
        except EmailTooLarge as error:
            raise CommandError(str(error), returncode=2) from error
        if filed.ignored:
            self.stdout.write(f"ignored: {filed.ignored}")
        elif filed.created:
            self.stdout.write(f"filed on {filed.ticket.reference} as message {filed.message.pk}")
        else:
            self.stdout.write(f"already filed on {filed.ticket.reference} as message {filed.message.pk}")
