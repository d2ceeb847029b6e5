"""Thin Celery wrappers: ids in, the plain function in ``subscriptions.digest`` or
``subscriptions.emails`` does the work."""

import smtplib

from anymail.exceptions import AnymailAPIError
from celery import shared_task

from subscriptions import digest as digest_service
from subscriptions import emails
from subscriptions.models import Digest


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
