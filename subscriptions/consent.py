"""Rows for the consent log, built one way everywhere (services, leaving, imports).

The log is evidence, so every writer stores the same things the same way: an empty IP
is NULL, the user agent and detail are cut to their columns, and the wording a reader
saw is kept as its SHA-256, never as text that could later be edited.
"""

import hashlib

from subscriptions.models import ConsentEvent


def wording_hash(text: str) -> str:
    """SHA-256 of the exact consent wording a reader saw."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def consent_event(
    *, event: str, subscriber=None, subscriber_id: int | None = None, newsletter_id: int | None = None,
    ip: str | None = None,
    user_agent: str = "", form: str = "", wording: str = "", detail: str = "",
) -> ConsentEvent:
    """An unsaved consent-log row (for ``bulk_create``); ``consent_record`` saves one."""
    return ConsentEvent(
        subscriber=subscriber, subscriber_id=subscriber_id if subscriber is None else subscriber.pk,
        newsletter_id=newsletter_id, event=event, ip=ip or None,
        user_agent=user_agent[:300], form=form[:100], wording_hash=wording_hash(wording) if wording else "",
        detail=detail[:300],
    )


def consent_record(**kwargs) -> ConsentEvent:
    row = consent_event(**kwargs)
    row.save()
    return row
