"""Absolute URLs for emails: every link that leaves the site starts with SITE_URL."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from subscriptions.tokens import make_confirm_token, make_preferences_token, make_unsubscribe_token


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_url(subscriber_id: int, newsletter_id: int) -> str:
    """Unprefixed (no /ar/): List-Unsubscribe one-click POSTs must not be redirected."""
    return absolute(f"/unsubscribe/{make_unsubscribe_token(subscriber_id, newsletter_id)}/")


def confirm_url(subscriber, newsletter_ids, *, language: str | None = None) -> str:
    with translation.override(language or subscriber.language):
        return absolute(reverse("subscriptions:confirm", args=[make_confirm_token(subscriber, newsletter_ids)]))



def preferences_url(subscriber_id: int, *, language: str) -> str:
    with translation.override(language):
        return absolute(reverse("subscriptions:preferences", args=[make_preferences_token(subscriber_id)]))
def home_url(*, language: str) -> str:
    with translation.override(language):
        return absolute(reverse("subscriptions:home"))


def digest_web_url(digest) -> str:
    """The digest's web version, in its newsletter's language: its canonical URL."""
    with translation.override(digest.newsletter.language):
        return absolute(reverse("subscriptions:archive_detail", args=[digest.slug]))


def digest_admin_url(digest_id: int) -> str:
    return absolute(reverse("admin:subscriptions_digest_change", args=[digest_id]))
