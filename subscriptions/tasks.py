"""Celery tasks: ids in, re-fetch, call a plain function. Each owns its retry policy."""

import logging
import random
import smtplib

from anymail.exceptions import AnymailAPIError, AnymailRequestsAPIError
from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils.dateparse import parse_datetime

from subscriptions import digest as digest_service
from subscriptions import emails
from subscriptions.models import Digest

log = logging.getLogger(__name__)

# Retry policy for single transactional emails: 8 tries over ~30 minutes, exponential
# with jitter. A verification email sent twice after an ambiguous failure is harmless;
# one never sent is a reader lost.
MAX_RETRIES = 8
BACKOFF_BASE = 5  # seconds: 5, 10, 20, … capped below
BACKOFF_MAX = 600


def is_transient(exc: Exception) -> bool:
    """Only a 429, a 5xx or no answer at all is worth retrying; a 4xx will not change."""
    if isinstance(exc, AnymailRequestsAPIError):
        status = exc.status_code
        return status is None or status == 429 or status >= 500
    return isinstance(exc, OSError)  # SMTP and socket errors, timeouts


def send_or_retry(task, message) -> None:
    try:
        message.send()
    except Exception as exc:
        if not is_transient(exc):
            raise
        countdown = min(BACKOFF_MAX, BACKOFF_BASE * 2**task.request.retries) * random.uniform(0.5, 1.0)
        raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES) from exc


@shared_task(bind=True)
def send_verification_email(self, subscriber_id: int, newsletter_ids: list[int], requested_at: str) -> None:
    from subscriptions.emails import verification_email
    from subscriptions.models import Newsletter, Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.status not in (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED):
        log.info("verification not sent: subscriber gone or suppressed", extra={"subscriber_id": subscriber_id})
        return
    newsletters = list(Newsletter.objects.filter(pk__in=newsletter_ids))
    message = verification_email(subscriber=subscriber, newsletters=newsletters, requested_at=parse_datetime(requested_at))
    send_or_retry(self, message)


@shared_task(ignore_result=True)
def send_import_verifications(subscriber_ids: list[int], newsletter_ids: list[int]) -> int:
    """An import's verification emails, a chunk of readers per task: claims each
    reader's cooldown and queues the ordinary ``send_verification_email`` for it, which
    owns the retries. The import itself returns without waiting for a broker round
    trip per row."""
    from subscriptions.services import subscribers_request_verification

    return subscribers_request_verification(subscriber_ids=subscriber_ids, newsletter_ids=newsletter_ids)


@shared_task(bind=True)
def send_welcome_email(self, subscriber_id: int, newsletter_id: int) -> None:
    from subscriptions.emails import welcome_email
    from subscriptions.models import Newsletter, Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.CONFIRMED).first()
    newsletter = Newsletter.objects.filter(pk=newsletter_id).first()
    if subscriber and newsletter and newsletter.welcome_text:
        send_or_retry(self, welcome_email(subscriber=subscriber, newsletter=newsletter))


@shared_task
def purge_pending_subscribers() -> int:
    from subscriptions.services import subscribers_purge_pending

    return subscribers_purge_pending(older_than_days=settings.PENDING_PURGE_DAYS)


@shared_task(ignore_result=True)
def stats_rollup() -> None:
    """Beat, every 5 minutes: recount today's and yesterday's numbers and the digests
    still collecting events, for the dashboard. Idempotent (recount and upsert)."""
    from subscriptions.stats import stats_rollup as rollup

    rollup()


@shared_task(ignore_result=True)
def dashboard_counts_refresh() -> None:
    """Beat, every minute: subscribers by status and the live counts of sends in
    progress, into the cache, so no dashboard load has to count them."""
    from subscriptions.dashboard import dashboard_counts_refresh as refresh

    refresh()


@shared_task(ignore_result=True)
def digests_compile_due() -> int:
    """Beat, every 5 minutes: compile (and approve or announce) digests whose weekly
    slot has come. Idempotent, so a redelivered or doubled tick is harmless."""
    return len(digest_service.digests_compile_due())


# A mail server hiccup should not lose the note; retries back off up to ~10 minutes.
@shared_task(
    ignore_result=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, AnymailAPIError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def digest_notify_staff(digest_id: int) -> int:
    digest = Digest.objects.select_related("newsletter").filter(pk=digest_id).first()
    if digest is None or digest.status != Digest.Status.DRAFT:
        return 0  # deleted, or already handled by an editor before the note went out
    return emails.staff_notify_draft(digest=digest)


# --------------------------------------------------------------------------- sending
# The send path's tasks carry ids only. Batch tasks go to the "mail" queue so sending
# can get its own workers; a plain `celery -A newsroom worker` consumes it too.
@shared_task(ignore_result=True)
def send_digest(digest_id: int) -> int:
    """Write the ledger (resumable) and queue one task per batch."""
    from subscriptions import sending

    try:
        digest = sending.digest_send(digest_id=digest_id)
    except sending.SendError as exc:
        # A redelivered or doubled task for a digest that already went out, or one an
        # editor paused or cancelled meanwhile: nothing to do, and no reason to retry.
        log.warning("send_digest refused", extra={"digest": digest_id, "reason": str(exc)})
        return 0
    return digest.recipients


def dispatch_batch(digest_id: int, number: int, countdown: int = 0) -> None:
    send_batch.apply_async((digest_id, number), countdown=countdown or None, queue="mail")


@shared_task(bind=True, ignore_result=True, queue="mail", max_retries=None)
def send_batch(self, digest_id: int, number: int) -> str:
    """One batch, one ESP call. Idempotent: a redelivered message finds its batch done
    (or in flight, or uncertain) and sends nothing. Retries only what the ESP refused
    with 429/5xx or a connection never made, with exponential backoff and jitter."""
    from subscriptions import sending

    try:
        return sending.batch_send(digest_id=digest_id, number=number)
    except sending.Retry as retry:
        if self.request.retries >= settings.SEND_MAX_RETRIES:
            sending.batch_failed(digest_id=digest_id, number=number, reason=f"gave up after retries: {retry.reason}")
            return "failed"
        countdown = retry.retry_after if retry.retry_after is not None else sending.backoff(self.request.retries)
        log.info("batch retry", extra={"digest": digest_id, "batch": number, "reason": retry.reason,
                                       "countdown": round(countdown, 1), "retries": self.request.retries})
        raise self.retry(countdown=countdown, max_retries=settings.SEND_MAX_RETRIES + 1) from None


@shared_task(ignore_result=True)
def sweep_sending() -> dict:
    """Beat, every minute: lost batch tasks queued again, abandoned ones uncertain."""
    from subscriptions import sending

    return sending.sending_sweep()
# The guard counts complaints and deliveries (cached a minute, but up to a million rows
# when not), so it runs here rather than inside the ESP's webhook request. Idempotent:
# a second run finds the newsletter paused, or the rates unchanged.
@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=10,
    retry_backoff_max=300,
    max_retries=5,
)
def complaint_guard(digest_id: int) -> str:
    from subscriptions.complaints import complaint_guard as guard

    return guard(digest_id=digest_id)
