"""Subscribers as CSV on stdout (or ``--output FILE``), streamed in chunks, with
cells a spreadsheet would run as formulas neutralised. Columns:
email, name, language, newsletters (slugs joined by |), status, source, created_at,
confirmed_at, unsubscribed_at — the file ``import_subscribers`` reads back."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from subscriptions.exporting import csv_chunks, subscribers_export_rows, subscribers_for_export
from subscriptions.models import Newsletter, Subscriber


class Command(BaseCommand):
    help = "Write subscribers as CSV to stdout or a file (streamed; a million rows in bounded memory)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status", action="append", default=[], metavar="STATUS",
            help=f"only these statuses (repeat or comma-separate): {', '.join(Subscriber.Status.values)}",
        )
        parser.add_argument("--newsletter", metavar="SLUG", help="only readers subscribed to this newsletter")
        parser.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
        parser.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM (for Excel)")

    def handle(self, *args, status, newsletter, output, bom, **options):
        statuses = [s.strip() for value in status for s in value.split(",") if s.strip()]
        unknown = set(statuses) - set(Subscriber.Status.values)
        if unknown:
            raise CommandError(f"unknown status: {', '.join(sorted(unknown))} "
                               f"(choose from {', '.join(Subscriber.Status.values)})")
        chosen = None
        if newsletter:
            chosen = Newsletter.objects.filter(slug=newsletter).first()
            if chosen is None:
                raise CommandError(f"no newsletter with slug {newsletter!r}")
        queryset = subscribers_for_export(statuses=statuses, newsletter=chosen)
        chunks = csv_chunks(subscribers_export_rows(queryset=queryset), bom=bom)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                for chunk in chunks:
                    out.write(chunk)
        else:
            try:
                for chunk in chunks:
                    self.stdout.write(chunk, ending="")  # csv ends its own lines
                self.stdout.flush()
            except BrokenPipeError:
                # `export_subscribers | head`: the reader left; stop quietly.
                sys.stdout = open(os.devnull, "w")
