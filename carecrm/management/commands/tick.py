from django.core.management.base import BaseCommand, CommandError

from carecrm import clock, jobs


class Command(BaseCommand):
    help = "Run every time-driven job once, synchronously, as of --now (default: the real clock)."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO-8601 moment to run as, e.g. 2026-01-31T09:00:00+00:00")

    def handle(self, *args, **options):
        try:
            now = clock.parse(options["now"]) if options["now"] else clock.now()
        except ValueError as exc:
            raise CommandError(f"--now must be an ISO-8601 moment: {exc}") from exc
        self.stdout.write(f"tick as of {now.isoformat()}")
        for name, said in jobs.run_all(now=now):
            self.stdout.write(f"  {name}: {said}")
