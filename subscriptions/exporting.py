"""Subscribers out as CSV, streamed: a million rows never sit in memory at once.

Rows are read by keyset pagination (``id > last ORDER BY id LIMIT CHUNK``) rather than
one long server-side cursor: each chunk is a short indexed query, the same on
PostgreSQL and SQLite, and nothing stays open between chunks while a slow client
downloads. Each chunk's newsletters come in one more query.

Every cell that a spreadsheet would read as a formula (= + - @, or a leading tab or
carriage return) is prefixed with an apostrophe: a name like ``=HYPERLINK(…)`` typed
into the signup form must not run when an editor opens the export in Excel.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone

from subscriptions.models import Newsletter, Subscriber, Subscription

COLUMNS = ["email", "name", "language", "newsletters", "status", "source", "created_at", "confirmed_at",
           "unsubscribed_at"]
NEWSLETTER_SEPARATOR = "|"
# Rows per query and per piece of the response: big enough that a million rows is 500
# round trips, small enough that a chunk is a few hundred kilobytes.
CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel opens a UTF-8 file as Windows-1256 (or 1252) unless it starts with a BOM.
BOM = "\ufeff"


def spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return spreadsheet_safe(str(value))


def subscribers_export_rows(*, queryset: QuerySet[Subscriber]) -> Iterator[list[str]]:
    """The header, then one list of cells per subscriber in id order."""
    yield list(COLUMNS)
    slugs = dict(Newsletter.objects.values_list("pk", "slug"))
    rows = queryset.order_by("pk").values_list(
        "pk", "email", "name", "language", "status", "source", "created_at", "confirmed_at", "unsubscribed_at"
    )
    last = 0
    while chunk := list(rows.filter(pk__gt=last)[:CHUNK]):
        ids = [row[0] for row in chunk]
        newsletters = defaultdict(list)
        for subscriber_id, newsletter_id in (
            Subscription.objects.filter(subscriber_id__in=ids, status=Subscription.Status.SUBSCRIBED)
            .order_by("subscriber_id", "newsletter_id")
            .values_list("subscriber_id", "newsletter_id")
        ):
            newsletters[subscriber_id].append(slugs.get(newsletter_id, ""))
        for pk, email, name, language, status, source, created, confirmed, left in chunk:
            yield [_cell(v) for v in (email, name, language, NEWSLETTER_SEPARATOR.join(newsletters[pk]), status,
                                      source, created, confirmed, left)]
        last = ids[-1]


def csv_chunks(rows: Iterable[list[str]], *, bom: bool = False, rows_per_chunk: int = CHUNK) -> Iterator[str]:
    """CSV text in pieces of ``rows_per_chunk`` rows, for a streaming response or a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def subscribers_for_export(*, statuses: list[str] | None = None, newsletter: Newsletter | None = None):
    """The subscribers ``export_subscribers`` writes: optionally only these statuses,
    optionally only readers subscribed to ``newsletter``."""
    queryset = Subscriber.objects.all()
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if newsletter is not None:
        queryset = queryset.filter(
            subscriptions__newsletter=newsletter, subscriptions__status=Subscription.Status.SUBSCRIBED
        )
    return queryset
