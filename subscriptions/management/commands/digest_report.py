"""digest_report DIGEST_ID [--json]: the digest's status and its delivery ledger counts."""

import json

from django.core.management.base import BaseCommand, CommandError

from subscriptions.models import Digest
from subscriptions.sending import digest_progress

KEYS = ("recipients", "sent", "failed", "skipped", "uncertain", "pending")


class Command(BaseCommand):
    help = "Show a digest's status and delivery counts (recipients, sent, failed, skipped, uncertain, pending)."

    def add_arguments(self, parser):
        parser.add_argument("digest_id", type=int)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, digest_id: int, **options):
        digest = Digest.objects.filter(pk=digest_id).first()
        if digest is None:
            raise CommandError(f"no digest with id {digest_id}")
        progress = digest_progress(digest_id=digest_id)
        # "pending" counts everything not yet resolved, submitting included.
        report = {k: progress[k] for k in KEYS} | {"pending": progress["pending"] + progress["submitting"]}
        if options["json"]:
            self.stdout.write(_json({"digest": digest.pk, "status": digest.status, **report}))
            return
        self.stdout.write(f"digest {digest.pk} “{digest.subject}”: {digest.status}")
        for key in KEYS:
            self.stdout.write(f"  {key:<11} {report[key]:>9,}")


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False)
