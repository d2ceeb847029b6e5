"""``import_articles SOURCE``: read articles from a feed, a WordPress site or a file now.

SOURCE is an RSS/Atom feed URL, a WordPress site (its home page or /wp-json/ address),
a local file (a feed, or a saved WordPress posts response), or the slug of a source
configured in the admin. The source is remembered (disabled for beat), so running the
command again resumes where the last run ended.
"""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from newsroom.importers import ImportFailed
from newsroom.models import ArticleSource
from newsroom.sources import source_for_location, source_import

COUNTS = ["new", "updated", "unpublished", "skipped"]


class Command(BaseCommand):
    help = (
        "Import articles from an RSS/Atom feed, a WordPress site (REST API), a local file, "
        "or a configured source."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "source", help="feed URL, WordPress site URL, file path, or a configured source's slug"
        )
        parser.add_argument(
            "--kind", choices=ArticleSource.Kind.values, help="what SOURCE is, when a first look cannot tell"
        )
        parser.add_argument("--name", default="", help="the name to give a new source")
        parser.add_argument(
            "--full",
            action="store_true",
            help="ignore the resume point (ETag, Last-Modified, modified_after) and read everything again",
        )

    def handle(self, *args, source: str, kind: str | None, name: str, full: bool, **options):
        if not source.strip():
            raise CommandError(
                "SOURCE is empty: give a feed URL, a WordPress site, a file or a source's slug"
            )
        try:
            article_source, created = source_for_location(location=source, kind=kind, name=name)
        except ImportFailed as exc:
            raise CommandError(f"cannot import: {exc}") from None
        label = f"{article_source.name} ({article_source.kind}, {article_source.url})"

        totals, first = Counter(), True
        while True:  # one run, or several while a backlog remains (10,000 posts: 50 pages a run)
            result = source_import(source_id=article_source.pk, full=full)
            if result is None:
                raise CommandError(
                    f"{label}: another import of this source is running; try again when it ends"
                )
            if result.error:
                if created and first:
                    article_source.delete()  # a mistyped location leaves no source behind
                raise CommandError(f"import from {label} failed (this run wrote nothing): {result.error}")
            totals.update({count: getattr(result, count) for count in COUNTS})
            if result.not_modified:
                self.stdout.write(f"{label}: not modified since the last run (HTTP 304)")
            if not result.more:
                break
            self.stdout.write(f"… {totals['new'] + totals['updated']} articles so far, more to fetch")
            full, first = False, False  # the next run continues where this one ended

        summary = ", ".join(f"{totals[count]} {count}" for count in COUNTS)
        self.stdout.write(self.style.SUCCESS(f"{label}: {summary}"))
        if created:
            self.stdout.write(
                f"saved as source «{article_source.slug}», disabled for beat: enable it in the admin "
                f"to poll it every {article_source.poll_minutes} minutes"
            )
