"""send_digest DIGEST_ID [--wait]: approve (a draft) and queue the send; with --wait,
show progress until every delivery is resolved."""

import sys

from django.core.management.base import BaseCommand, CommandError

from subscriptions import sending
from subscriptions.digest import DigestStateError, digest_approve
from subscriptions.models import Digest
from subscriptions.tasks import send_digest


class Command(BaseCommand):
    help = "Approve a digest and queue its send; --wait shows progress until it is done."

    def add_arguments(self, parser):
        parser.add_argument("digest_id", type=int)
        parser.add_argument("--wait", action="store_true", help="wait until every delivery is resolved")
        parser.add_argument("--timeout", type=float, default=24 * 3600, help="give up waiting after this many seconds")

    def handle(self, *args, digest_id: int, wait: bool, timeout: float, **options):
        digest = Digest.objects.filter(pk=digest_id).first()
        if digest is None:
            raise CommandError(f"no digest with id {digest_id}")
        if digest.status == Digest.Status.DRAFT:
            try:
                digest = digest_approve(digest=digest)
            except DigestStateError as exc:
                raise CommandError(str(exc)) from exc
        if digest.status not in (Digest.Status.APPROVED, Digest.Status.SENDING):
            raise CommandError(f"digest {digest_id} is {digest.status}: nothing to send")
        try:
            send_digest.delay(digest.pk)
        except sending.SendError as exc:  # inline (no broker): the refusal surfaces here
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"digest {digest.pk} queued")
        if not wait:
            return
        progress = sending.wait_until_resolved(digest_id=digest.pk, timeout=timeout, on_progress=self._bar)
        sys.stderr.write("\n")
        digest.refresh_from_db()
        self.stdout.write(
            f"digest {digest.pk} {digest.status}: " + ", ".join(f"{k} {progress[k]}" for k in
                                                              ("recipients", "sent", "failed", "skipped", "uncertain", "pending"))
        )
        if digest.status != Digest.Status.SENT:
            raise CommandError(f"stopped while {digest.status}: {digest.pause_reason or 'see the admin'}")

    def _bar(self, progress: dict) -> None:
        total = progress["recipients"] or 1
        done = total - progress["pending"] - progress["submitting"]
        width = 40
        filled = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{progress['recipients']}"
                         f"  sent {progress['sent']} failed {progress['failed']} skipped {progress['skipped']}"
                         f" uncertain {progress['uncertain']}")
        sys.stderr.flush()
