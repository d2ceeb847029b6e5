"""Crafting history for the dashboard's tests: consent events and deliveries at chosen
moments (``ConsentEvent.at`` is set on insert, and the log refuses updates)."""

import datetime
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

from subscriptions.models import ConsentEvent, Delivery, Digest

DAMASCUS = ZoneInfo("Asia/Damascus")


def local(year, month, day, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=DAMASCUS)


@contextmanager
def clock(moment: datetime.datetime):
    """Django's auto_now_add reads timezone.now(): make it ``moment``."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def event(subscriber, kind: str, when: datetime.datetime, newsletter=None) -> ConsentEvent:
    with clock(when):
        return ConsentEvent.objects.create(subscriber=subscriber, newsletter=newsletter, event=kind)


def gone_out_digest(newsletter, *, number: int, sent_at: datetime.datetime, status=Digest.Status.SENT,
                    recipients: int = 0, **kwargs) -> Digest:
    return Digest.objects.create(
        newsletter=newsletter, period_start=sent_at - datetime.timedelta(days=7), period_end=sent_at,
        subject=f"العدد {number}", slug=f"issue-{number}", status=status, sent_at=sent_at if status == Digest.Status.SENT else None,
        send_started_at=sent_at, recipients=recipients, **kwargs,
    )


def delivery(digest, subscriber, *, status=Delivery.Status.SENT, sent_at=None, **timestamps) -> Delivery:
    return Delivery.objects.create(digest=digest, subscriber=subscriber, batch=0, status=status, sent_at=sent_at,
                                   **timestamps)
