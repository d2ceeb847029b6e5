"""Read-only subscription queries."""

from django.db.models import QuerySet

from subscriptions.models import Digest, Newsletter


def newsletter_default() -> Newsletter | None:
    """The newsletter the public pages speak for: the first active one."""
    return Newsletter.objects.filter(is_active=True).order_by("id").first()


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
