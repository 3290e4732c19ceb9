import sys
import time
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from carecrm import clock, demo


class Command(BaseCommand):
    help = (
        "Load realistic demo data: staff users (one per role), customers and whatever each app adds. "
        "The same --seed builds the same data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=demo.Options.customers, help="How many customers (200)."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when demo data is already there (make run loads it once).",
        )
        parser.add_argument("--seed", type=int, default=demo.Options.seed, help="Random seed (1).")
        parser.add_argument("--now", help="ISO-8601 moment the data is built as of (default: the clock).")

    def handle(self, *args, **options):
        if options["customers"] < 0:
            raise CommandError("--customers must be 0 or more.")
        try:
            now = clock.parse(options["now"]) if options["now"] else clock.now()
        except ValueError as exc:
            raise CommandError(f"--now must be an ISO-8601 moment: {exc}") from exc
        if options["if_empty"] and demo.data_present():
            self.stdout.write("Demo data is already there; nothing loaded.")
            return

        # Bars go to stderr and only to a terminal (disable=None), so logs and pipes stay clean.
        progress = partial(
            tqdm, file=sys.stderr, disable=None if options["verbosity"] else True, dynamic_ncols=True
        )
        seed_options = demo.Options(customers=options["customers"], seed=options["seed"])
        started = time.monotonic()
        self.stdout.write(f"Loading demo data as of {now.isoformat(timespec='seconds')}")
        for name, said in demo.run_all(options=seed_options, progress=progress, now=now):
            self.stdout.write(f"  {name}: {said}")
        self.stdout.write(f"Demo data loaded in {time.monotonic() - started:.1f}s.")
