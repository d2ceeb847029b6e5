"""Read-only subscription queries."""

import time

from subscriptions.models import Newsletter

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
