"""Removing personal data on purpose: the only path that may delete consent events.

The consent log refuses deletes (model, and a PostgreSQL trigger); erasure on request
and the purge of never-confirmed signups are the lawful exceptions. They say so to the
trigger with ``SET LOCAL nashra.erasure = 'on'``, which lasts only for the transaction.
"""

from django.db import connection, transaction


def consent_events_erase(*, subscriber_ids: list[int]) -> None:
    if not subscriber_ids:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("consent_events_erase must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL nashra.erasure = 'on'")
        placeholders = ", ".join(["%s"] * len(subscriber_ids))
        cursor.execute(
            f"DELETE FROM subscriptions_consentevent WHERE subscriber_id IN ({placeholders})",
            list(subscriber_ids),
        )
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL nashra.erasure = 'off'")
