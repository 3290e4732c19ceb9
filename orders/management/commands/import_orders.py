import io
import json
import os
import stat
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from orders import importing


class Command(BaseCommand):
    help = (
        "Import orders from a JSON Lines or CSV file (a backfill from the store). Each order is validated "
        "exactly as POST /api/v1/orders/ validates it and upserted by external_id (else number), so running "
        "the same file again changes nothing. Bad records are reported on stderr with their line numbers "
        "and skipped; the rest is imported. The summary counts an order already there as updated, even "
        "when nothing in it changed. Exit status: 0 when every order landed, 1 when some records "
        "were bad and skipped (the good ones are imported all the same), 2 when the file could not be "
        "read at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The file to import; - reads standard input.")
        parser.add_argument(
            "--format",
            choices=importing.FORMATS,
            help="jsonl: one order per line, a JSON object in the API's shape (items nested). "
            "csv: a header row, then one row per order ITEM with the order's columns repeated on each "
            "of its rows; the rows of one order must be consecutive. Columns: "
            f"{', '.join(importing.CSV_COLUMNS)}. Default: csv for a .csv file, jsonl otherwise.",
        )
        parser.add_argument(
            "--source",
            default="import",
            help="Named as the source of the customers it creates and of status changes (import).",
        )
        parser.add_argument(
            "--errors", metavar="FILE", help="Also write each bad record as a JSON line to FILE."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=importing.BATCH_SIZE,
            help=f"Orders per transaction ({importing.BATCH_SIZE}).",
        )

    def handle(self, *args, **options):
        path = options["path"]
        fmt = options["format"] or ("csv" if path.lower().endswith(".csv") else "jsonl")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=2)
        try:
            stream = sys.stdin.buffer if path == "-" else open(path, "rb", buffering=1 << 20)  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.", returncode=2) from exc
        errors_file = None
        try:
            if options["errors"]:
                errors_file = Path(options["errors"]).open("w", encoding="utf-8")  # noqa: SIM115
            result = self._import(stream, fmt=fmt, options=options, errors_file=errors_file)
        except importing.ImportFileError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
            if errors_file is not None:
                errors_file.close()

        name = "standard input" if path == "-" else path
        self.stdout.write(f"Imported {name}: {result.summary()}.")
        if result.skipped:
            raise CommandError(
                f"{result.skipped} bad record(s) skipped (reported above); the other orders were imported.",
                returncode=1,
            )

    def _import(self, stream, *, fmt: str, options: dict, errors_file) -> importing.ImportResult:
        # The bar goes to stderr and only to a terminal (disable=None), so logs and pipes stay clean.
        bar = tqdm(
            total=_size(stream),
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="orders",
            file=sys.stderr,
            disable=None if options["verbosity"] else True,
            dynamic_ncols=True,
        )

        def on_problem(problem: importing.Problem) -> None:
            # Clears the bar around the message so the two do not garble each other.
            with tqdm.external_write_mode(file=sys.stderr):
                self.stderr.write(str(problem))
            if errors_file is not None:
                errors_file.write(json.dumps(problem.as_dict(), ensure_ascii=False) + "\n")

        def on_batch(result: importing.ImportResult) -> None:
            bar.set_postfix_str(
                f"{result.landed} imported, {result.skipped} bad, {result.rate:.0f}/s", refresh=False
            )

        with bar:
            records = importing.READERS[fmt](stream, bar.update)
            return importing.import_records(
                records,
                source=options["source"],
                on_problem=on_problem,
                on_batch=on_batch,
                batch_size=options["batch_size"],
            )


def _size(stream) -> int | None:
    """The bytes to read when the stream is a regular file; a pipe's end is not known beforehand."""
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None
