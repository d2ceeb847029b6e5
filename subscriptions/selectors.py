"""Read-only subscription queries."""

import time

from django.db.models import QuerySet

from subscriptions.models import ConsentEvent, Delivery, Digest, Newsletter

# The public pages and the signup endpoint ask for the default newsletter on every
# request; it changes rarely, so each process keeps it for a short while.
DEFAULT_NEWSLETTER_TTL = 30  # seconds before an edit in the admin shows on the form
_default_cache: tuple[float, Newsletter | None] = (0.0, None)


def newsletter_default(*, fresh: bool = False) -> Newsletter | None:
    """The newsletter the public pages speak for: the first active one."""
    global _default_cache
    expires, newsletter = _default_cache
    if fresh or time.monotonic() >= expires:
        newsletter = Newsletter.objects.filter(is_active=True).order_by("id").first()
        _default_cache = (time.monotonic() + DEFAULT_NEWSLETTER_TTL, newsletter)
    return newsletter


def newsletter_default_forget() -> None:
    global _default_cache
    _default_cache = (0.0, None)


def digests_sent() -> QuerySet[Digest]:
    """The archive: every sent digest, newest first."""
    return (
        Digest.objects.filter(status=Digest.Status.SENT)
        .select_related("newsletter")
        .order_by("-sent_at", "-period_end", "-id")
    )


def digest_public(*, slug: str) -> Digest | None:
    """A digest whose web version may be shown: one that has reached readers.

    Not only ``sent``: while a large list is still ``sending`` (or ``paused``), readers
    who already have it click "view in your browser" and must not get a 404.
    """
    return Digest.objects.filter(slug=slug, status__in=Digest.GONE_OUT).select_related("newsletter").first()


def subscriber_consent_log(*, subscriber_id: int, limit: int) -> list[ConsentEvent]:
    """A reader's consent events, newest first, at most ``limit`` (one query)."""
    return list(
        ConsentEvent.objects.filter(subscriber_id=subscriber_id)
        .select_related("newsletter")
        .only("at", "event", "ip", "user_agent", "form", "wording_hash", "detail", "newsletter__name")
        .order_by("-at", "-id")[:limit]
    )


def subscriber_deliveries(*, subscriber_id: int, limit: int) -> list[Delivery]:
    """A reader's deliveries, newest first, at most ``limit``, with each digest's
    subject (not its stored body: one query, a few kilobytes)."""
    return list(
        Delivery.objects.filter(subscriber_id=subscriber_id)
        .select_related("digest")
        .only("status", "reason", "sent_at", "delivered_at", "opened_at", "clicked_at", "bounced_at",
              "complained_at", "digest__subject", "digest__slug", "digest__status")
        .order_by("-id")[:limit]
    )
