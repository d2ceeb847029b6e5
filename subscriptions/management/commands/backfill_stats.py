"""Recount the dashboard's numbers further back than beat does (beat: the last two days
and the digests still collecting events). Run once after installing the dashboard."""

from django.core.management.base import BaseCommand, CommandError

from subscriptions.stats import stats_backfill


class Command(BaseCommand):
    help = "Recount the dashboard's daily statistics for the last N days and every digest that went out."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, metavar="N", help="days to recount (default 90)")

    def handle(self, *args, days: int, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more")
        done = stats_backfill(days=days)
        self.stdout.write(f"daily statistics: {done.days} days; digest statistics: {done.digests} digests")
