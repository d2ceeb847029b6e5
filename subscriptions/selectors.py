"""Read-only subscription queries."""

from subscriptions.models import Newsletter


def newsletter_default() -> Newsletter | None:
    """The newsletter the public pages speak for: the first active one."""
    return Newsletter.objects.filter(is_active=True).order_by("id").first()
