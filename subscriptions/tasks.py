"""Celery tasks: ids in, re-fetch, call a plain function. Each owns its retry policy."""

import logging

from anymail.exceptions import AnymailRequestsAPIError
from celery import shared_task
from django.conf import settings
from django.utils.dateparse import parse_datetime

log = logging.getLogger(__name__)

# Transient delivery problems: the ESP or SMTP server is down or slow. A verification
# email sent twice after an ambiguous failure is harmless; one never sent is not.
TRANSIENT = (ConnectionError, TimeoutError, OSError, AnymailRequestsAPIError)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=600, retry_jitter=True, max_retries=8)
def send_verification_email(subscriber_id: int, newsletter_ids: list[int], requested_at: str) -> None:
    from subscriptions.emails import verification_email
    from subscriptions.models import Newsletter, Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.status not in (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED):
        log.info("verification not sent: subscriber gone or suppressed", extra={"subscriber_id": subscriber_id})
        return
    newsletters = list(Newsletter.objects.filter(pk__in=newsletter_ids))
    verification_email(
        subscriber=subscriber, newsletters=newsletters, requested_at=parse_datetime(requested_at)
    ).send()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=600, retry_jitter=True, max_retries=8)
def send_welcome_email(subscriber_id: int, newsletter_id: int) -> None:
    from subscriptions.emails import welcome_email
    from subscriptions.models import Newsletter, Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.CONFIRMED).first()
    newsletter = Newsletter.objects.filter(pk=newsletter_id).first()
    if subscriber and newsletter and newsletter.welcome_text:
        welcome_email(subscriber=subscriber, newsletter=newsletter).send()


@shared_task
def purge_pending_subscribers() -> int:
    from subscriptions.services import subscribers_purge_pending

    return subscribers_purge_pending(older_than_days=settings.PENDING_PURGE_DAYS)
