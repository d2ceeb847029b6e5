"""What the editors' dashboard reads. Selectors only: nothing here writes.

Every panel costs one small query, or none: numbers over the subscriber table and the
delivery ledger come from the rolled-up tables (``DailyStat``, ``DigestStat``, see
``subscriptions.stats``) or from the shared cache, never from counting a million rows
on a page load.
"""

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from newsroom.selectors import worker_heartbeats
from subscriptions.models import DailyStat, Delivery, Digest, DigestStat, SendBatch, Subscriber
from subscriptions.numbers import ratio

CHART_DAYS = 90
LAST_DIGESTS = 10
# Counting subscribers by status is one GROUP BY over the whole table, and a send's
# live counts one grouped scan of its ledger: a tenth of a second or more each at a
# million rows, so never on a page load while beat runs. Beat recounts both every
# minute (tasks.dashboard_counts_refresh) into the shared cache; a page counts for
# itself only when nothing is cached (beat down for three ticks, or a fresh deploy).
STATUS_CACHE_KEY = "nashra:dashboard:status-counts"
LIVE_CACHE_KEY = "nashra:dashboard:live"
COUNTS_CACHE_SECONDS = 180
# The live panel's script wants counts at most this old; one recount serves every
# editor polling in that time.
LIVE_FRESH_SECONDS = 5
# Complaints per delivered email above which the dashboard warns. Mailbox providers
# (Gmail's and Yahoo's sender rules) want it under 0.1% and start refusing mail near
# 0.3%, so 0.1% is the point to act, not the point of no return.
# A digest's stored body is up to ~100 KB: never loaded for a table row.
DIGEST_BODY = ("html", "text", "intro")
# Beat touches each worker's heartbeat every minute; three missed beats is a problem.
HEARTBEAT_STALE = timedelta(minutes=3)


# -- subscribers -------------------------------------------------------------------
def subscriber_status_counts(*, refresh: bool = False) -> dict[str, int]:
    """{status: readers} for every status (zeros included), as beat last counted them
    (counted now when nothing is cached, or with ``refresh``)."""
    counts = None if refresh else cache.get(STATUS_CACHE_KEY)
    if counts is None:
        found = dict(Subscriber.objects.order_by().values_list("status").annotate(n=Count("pk")))
        counts = {status: found.get(status, 0) for status in Subscriber.Status.values}
        cache.set(STATUS_CACHE_KEY, counts, COUNTS_CACHE_SECONDS)
    return counts


@dataclass(frozen=True)
class StatusCounts:
    counts: dict[str, int]
    approximate: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def subscriber_status_counts_for_page() -> StatusCounts:
    """What a page load may spend on status counts: beat's cached ones; or, with nothing
    cached and a big table, PostgreSQL's statistics (the table's row estimate times each
    status's share in the planner's sample: a few milliseconds, marked approximate,
    exact again at beat's next tick); or, for a small list, a count now."""
    counts = cache.get(STATUS_CACHE_KEY)
    if counts is not None:
        return StatusCounts(counts)
    estimate = _status_estimate()
    if estimate is not None:
        return StatusCounts(estimate, approximate=True)
    return StatusCounts(subscriber_status_counts())


# Below this many rows a GROUP BY is a few milliseconds: count rather than estimate.
ESTIMATE_FROM_ROWS = 200_000


def _status_estimate() -> dict[str, int] | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_vals::text::text[], s.most_common_freqs FROM pg_class c"
            " LEFT JOIN pg_stats s ON s.schemaname = current_schema() AND s.tablename = c.relname"
            " AND s.attname = 'status' WHERE c.oid = %s::regclass",
            [Subscriber._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None or row[0] < ESTIMATE_FROM_ROWS or row[1] is None:
        return None  # small, never analysed, or no statistics: count instead
    rows, values, shares = row
    found = dict(zip(values, shares))
    return {status: round(rows * found.get(status, 0)) for status in Subscriber.Status.values}


def subscriber_status_counts_refresh() -> None:
    """After an editor's bulk change (import, erase, unsubscribe): recount once the
    change is committed, so the dashboard shows it at once."""
    transaction.on_commit(lambda: subscriber_status_counts(refresh=True))


def daily_stats(*, days: int = CHART_DAYS, today: date | None = None) -> list[DailyStat]:
    """The last ``days`` local days, oldest first, one row each (zeros where beat has
    written nothing yet)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    stored = {row.day: row for row in DailyStat.objects.filter(day__gte=first, day__lte=today)}
    return [stored.get(first + timedelta(days=i)) or DailyStat(day=first + timedelta(days=i))
            for i in range(days)]


@dataclass(frozen=True)
class ConfirmationRate:
    signups: int
    confirmations: int

    @property
    def rate(self) -> float | None:
        # Confirmations in the window over signups in the window: a signup on the
        # window's last day may confirm tomorrow, so over 90 days the edge is noise.
        return ratio(self.confirmations, self.signups)


def confirmation_rate(rows: list[DailyStat]) -> ConfirmationRate:
    return ConfirmationRate(signups=sum(r.signups for r in rows),
                            confirmations=sum(r.confirmations for r in rows))


# -- digests ------------------------------------------------------------------------
@dataclass
class DigestPerformance:
    """One digest's row on the dashboard: counts from its ``DigestStat``, the audience
    from the digest itself (frozen when sending started)."""

    digest: Digest
    stat: DigestStat

    @property
    def recipients(self) -> int:
        return self.digest.recipients or self.digest.totals.get("recipients", 0) or self.sent

    @property
    def sent(self) -> int:
        return self.stat.sent or self.digest.totals.get("sent", 0)

    @property
    def reached(self) -> int:
        return self.stat.delivered or max(self.sent - self.stat.bounced, 0)

    def rate(self, name: str) -> float | None:
        """Deliveries and bounces per email sent; engagement per email that arrived."""
        base = self.sent if name in ("delivered", "bounced") else self.reached
        return ratio(getattr(self.stat, name), base)

    @property
    def complaint_rate(self) -> float | None:
        return self.rate("complained")


def digest_performance(*, limit: int = LAST_DIGESTS) -> list[DigestPerformance]:
    """The last ``limit`` digests that went out, newest first, with their numbers.
    One query: the ledger's counts were rolled up into ``DigestStat``."""
    digests = (
        Digest.objects.filter(status__in=Digest.GONE_OUT)
        .select_related("stat")
        .defer(*DIGEST_BODY)
        .order_by(Coalesce("sent_at", "send_started_at").desc(nulls_first=True), "-id")[:limit]
    )
    rows = []
    for digest in digests:
        try:
            stat = digest.stat
        except DigestStat.DoesNotExist:  # gone out since the last roll-up
            stat = DigestStat(digest=digest)
        rows.append(DigestPerformance(digest=digest, stat=stat))
    return rows


@dataclass(frozen=True)
class ComplaintRate:
    digest: Digest
    complained: int
    reached: int
    rate: float | None


def complaint_rates(rows: list[DigestPerformance]) -> list[ComplaintRate]:
    """Complaints per delivered email (sent minus bounced where the ESP reports no
    deliveries), per digest.

    Read from the per-digest stats rows the dashboard already has (no extra count);
    ``subscriptions.complaints`` computes the same rate per digest *and per day* for
    the guard that pauses sending.
    """
    return [ComplaintRate(row.digest, row.stat.complained, row.reached, row.complaint_rate) for row in rows]


def complaint_warning(rows: list[DigestPerformance], *, threshold: float | None = None) -> ComplaintRate | None:
    """The worst recent digest whose complaint rate is above ``threshold`` (default
    COMPLAINT_WARN_RATE), or None."""
    threshold = settings.COMPLAINT_WARN_RATE if threshold is None else threshold
    over = [r for r in complaint_rates(rows) if r.rate is not None and r.rate > threshold]
    return max(over, key=lambda r: r.rate) if over else None


# -- sending --------------------------------------------------------------------------
@dataclass
class LiveSend:
    digest_id: int
    subject: str
    status: str
    status_label: str
    recipients: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> list[tuple[str, str, int | None]]:
        """(status, its label, deliveries or None when not counted yet) in the ledger's order."""
        return [(status, label, self.counts.get(status) if self.counts else None)
                for status, label in Delivery.Status.choices]

    @property
    def resolved(self) -> int:
        return sum(self.counts.get(status, 0) for status in Delivery.RESOLVED)

    @property
    def progress(self) -> float | None:
        if not self.counts:
            return None
        return ratio(self.resolved, self.recipients or sum(self.counts.values()))


def sends_in_progress(*, max_age: float = COUNTS_CACHE_SECONDS, count: bool = True) -> list[LiveSend]:
    """Digests sending or paused, with their ledger counted by status (one grouped scan
    of the (digest, status) index), from the cache when counted within ``max_age``
    seconds. The page takes what beat or the last poll left, or with nothing cached
    the digests alone (``count=False``: ``counts`` empty, the page's script fetches
    them); the poll wants them fresh."""
    cached = cache.get(LIVE_CACHE_KEY)
    if cached is not None and time.time() - cached[0] <= max_age:
        return cached[1]
    digests = list(
        Digest.objects.filter(status__in=[Digest.Status.SENDING, Digest.Status.PAUSED])
        .order_by("send_started_at", "id")
        .only("id", "subject", "status", "recipients")
    )
    sends = {
        d.pk: LiveSend(digest_id=d.pk, subject=d.subject, status=d.status, status_label=str(d.get_status_display()),
                       recipients=d.recipients, counts={s: 0 for s in Delivery.Status.values} if count else {})
        for d in digests
    }
    if not count:
        return list(sends.values())
    if sends:
        grouped = (Delivery.objects.filter(digest_id__in=sends).order_by()
                   .values_list("digest_id", "status").annotate(n=Count("pk")))
        for digest_id, status, n in grouped:
            sends[digest_id].counts[status] = n
    sends = list(sends.values())
    cache.set(LIVE_CACHE_KEY, (time.time(), sends), COUNTS_CACHE_SECONDS)
    return sends


def dashboard_counts_refresh() -> None:
    """What beat runs every minute: the two counts too big for a page load."""
    subscriber_status_counts(refresh=True)
    sends_in_progress(max_age=0)


def digests_ready_to_send() -> list[Digest]:
    """Approved digests: what an editor with the send permission can start."""
    return list(Digest.objects.filter(status=Digest.Status.APPROVED).defer(*DIGEST_BODY)
                .order_by("period_end", "id")[:LAST_DIGESTS])


@dataclass(frozen=True)
class QueueHealth:
    pending: int
    submitting: int
    uncertain: int
    oldest_pending: datetime | None
    last_heartbeat: datetime | None
    workers_alive: int
    now: datetime

    @property
    def heartbeat_stale(self) -> bool:
        return self.last_heartbeat is None or self.now - self.last_heartbeat > HEARTBEAT_STALE

    @property
    def heartbeat_minutes(self) -> int | None:
        if self.last_heartbeat is None:
            return None
        return int((self.now - self.last_heartbeat).total_seconds() // 60)


def queue_health(*, now: datetime | None = None) -> QueueHealth:
    """Unfinished send batches and the workers' last heartbeat: two small queries
    (batches are a few thousand rows per digest; heartbeats one per worker host)."""
    now = now or timezone.now()
    batches = SendBatch.objects.filter(
        status__in=[SendBatch.Status.PENDING, SendBatch.Status.SUBMITTING, SendBatch.Status.UNCERTAIN]
    ).aggregate(
        pending=Count("pk", filter=Q(status=SendBatch.Status.PENDING)),
        submitting=Count("pk", filter=Q(status=SendBatch.Status.SUBMITTING)),
        uncertain=Count("pk", filter=Q(status=SendBatch.Status.UNCERTAIN)),
        oldest=Min("queued_at", filter=Q(status=SendBatch.Status.PENDING)),
    )
    last_heartbeat, alive = worker_heartbeats(now=now, alive_within=HEARTBEAT_STALE)
    return QueueHealth(pending=batches["pending"], submitting=batches["submitting"], uncertain=batches["uncertain"],
                       oldest_pending=batches["oldest"], last_heartbeat=last_heartbeat,
                       workers_alive=alive, now=now)
