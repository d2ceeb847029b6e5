"""compile_digest [--newsletter SLUG] [--end YYYY-MM-DD]: print the digest's id.

--end DATE ends the period at the newsletter's send time on that date (in TIME_ZONE),
so `--end <a slot's date>` names the very digest the weekly slot compiles. Without it
the period ends now, to the minute. Exits non-zero, with the reason on stderr, for an
unknown newsletter or a period with nothing new.
"""

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from subscriptions.digest import digest_compile, local_zone
from subscriptions.models import Digest, Newsletter
from subscriptions.selectors import newsletter_default


class Command(BaseCommand):
    help = "Compile the digest of the 7 days ending at --end (default: now) and print its id."

    def add_arguments(self, parser):
        parser.add_argument("--newsletter", metavar="SLUG", help="default: the first active newsletter")
        parser.add_argument("--end", metavar="YYYY-MM-DD", type=date.fromisoformat,
                            help="the period ends at the newsletter's send time that day")

    def handle(self, *args, newsletter: str | None, end: date | None, **options):
        if newsletter:
            found = Newsletter.objects.filter(slug=newsletter).first()
            if found is None:
                known = ", ".join(Newsletter.objects.order_by("slug").values_list("slug", flat=True)) or "none"
                raise CommandError(f"unknown newsletter {newsletter!r} (known: {known})")
        else:
            found = newsletter_default()
            if found is None:
                raise CommandError("no active newsletter: create one, or pass --newsletter SLUG")
        if end is None:
            period_end = timezone.now().replace(second=0, microsecond=0)
        else:
            period_end = datetime.combine(end, found.send_time, tzinfo=local_zone())
        existed = Digest.objects.filter(newsletter=found, period_end=period_end).exists()
        digest = digest_compile(newsletter=found, period_end=period_end)
        if digest is None:
            raise CommandError(
                f"nothing new was published for {found.slug} in the 7 days ending "
                f"{timezone.localtime(period_end):%Y-%m-%d %H:%M}: no digest"
            )
        # The id alone on stdout, for scripts; the human summary on stderr.
        self.stdout.write(str(digest.pk))
        self.stderr.write(
            f"{'existing' if existed else 'new'} digest {digest.pk} ({digest.get_status_display()}): "
            f"{digest.subject} — {digest.items.count()} items"
        )
