"""Rolling up the dashboard's numbers: per day from the consent log, per digest from
its delivery ledger. Writes ``DailyStat`` and ``DigestStat``; the dashboard only reads.

Beat runs ``stats_rollup`` every few minutes (``subscriptions.tasks.stats_rollup``);
``python manage.py backfill_stats`` recounts further back, e.g. after installing.
Both are idempotent: a day or a digest is recounted from scratch and upserted.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from subscriptions.models import ConsentEvent, DailyStat, Delivery, Digest, DigestStat

# Which consent event feeds which daily column (a dict, not a chain of ifs).
EVENT_COLUMNS = {
    ConsentEvent.Event.SIGNUP: "signups",
    ConsentEvent.Event.CONFIRM: "confirmations",
    ConsentEvent.Event.IMPORT: "imports",
    ConsentEvent.Event.RESUBSCRIBE: "resubscribes",
    ConsentEvent.Event.UNSUBSCRIBE: "unsubscribes",
    ConsentEvent.Event.BOUNCE: "bounces",
    ConsentEvent.Event.COMPLAINT: "complaints",
}
# Beat recounts today and yesterday: an event that lands just after midnight, or a
# tick missed across midnight, still reaches the right day. Older days stay settled.
ROLLUP_DAYS = 2
# A digest keeps collecting opens, clicks, bounces and complaints for a while after it
# goes out; past this it is settled and no longer recounted on every tick.
DIGEST_ACTIVE_DAYS = 30
# Unsubscribes from a newsletter within this long after a digest starts going out are
# put down to that digest (the next weekly issue takes over after that).
UNSUBSCRIBE_WINDOW = timedelta(days=7)


def local_today(now: datetime | None = None) -> date:
    return timezone.localdate(now or timezone.now())


def daily_stats_rollup(*, since: date, until: date, now: datetime | None = None) -> int:
    """Recount every day from ``since`` to ``until`` (local dates, inclusive) from the
    consent log and upsert them, days with no events as zeros. Returns the days written.

    One grouped query over the events of those days (``at`` is indexed), one upsert.
    """
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    start = datetime.combine(since, time(0), tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone)
    counts = (
        ConsentEvent.objects.filter(at__gte=start, at__lt=end, event__in=EVENT_COLUMNS)
        .annotate(day=TruncDate("at", tzinfo=zone))
        .order_by()  # the model's ordering would otherwise join the GROUP BY
        .values("day", "event")
        .annotate(readers=Count("subscriber", distinct=True))
    )
    rows = {}
    day = since
    while day <= until:
        rows[day] = DailyStat(day=day, updated_at=now)
        day += timedelta(days=1)
    for row in counts:
        setattr(rows[row["day"]], EVENT_COLUMNS[row["event"]], row["readers"])
    DailyStat.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=[*EVENT_COLUMNS.values(), "updated_at"],
    )
    return len(rows)


def _human(at: str):
    """Q: a human opened or clicked. The ESP-event receiver sets ``opened_at`` and
    ``clicked_at`` only for people — machine opens (privacy proxies) and scanner clicks
    are kept as EspEvent rows flagged is_bot — so a set timestamp is a person's."""
    return Q(**{f"{at}__isnull": False})


def digest_stats_count(*, digest: Digest) -> dict[str, int]:
    """One digest's numbers: one aggregate over its ledger, one count of unsubscribes."""
    counts = Delivery.objects.filter(digest=digest).aggregate(
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
        opened=Count("pk", filter=_human("opened_at")),
        clicked=Count("pk", filter=_human("clicked_at")),
        bounced=Count("pk", filter=Q(bounced_at__isnull=False)),
        complained=Count("pk", filter=Q(complained_at__isnull=False)),
    )
    started = digest.send_started_at or digest.sent_at
    counts["unsubscribed"] = 0
    if started is not None:
        counts["unsubscribed"] = (
            ConsentEvent.objects.filter(
                event=ConsentEvent.Event.UNSUBSCRIBE, newsletter_id=digest.newsletter_id,
                at__gte=started, at__lt=started + UNSUBSCRIBE_WINDOW,
            )
            .order_by()
            .values("subscriber")
            .distinct()
            .count()
        )
    return counts


def digests_collecting(*, now: datetime | None = None):
    """Digests whose numbers may still move: out recently, or never counted."""
    since = (now or timezone.now()) - timedelta(days=DIGEST_ACTIVE_DAYS)
    return Digest.objects.filter(status__in=Digest.GONE_OUT).filter(
        Q(stat__isnull=True)
        | Q(send_started_at__gte=since)
        | Q(send_started_at__isnull=True, sent_at__gte=since)
        | Q(status__in=[Digest.Status.SENDING, Digest.Status.PAUSED])
    )


def digest_stats_rollup(*, digests, now: datetime | None = None) -> int:
    now = now or timezone.now()
    written = 0
    for digest in digests:
        DigestStat.objects.update_or_create(digest=digest, defaults={**digest_stats_count(digest=digest),
                                                                     "updated_at": now})
        written += 1
    return written


@dataclass(frozen=True)
class Rollup:
    days: int
    digests: int


def stats_rollup(*, now: datetime | None = None) -> Rollup:
    """What beat runs: the last ROLLUP_DAYS days and the digests still collecting."""
    now = now or timezone.now()
    today = local_today(now)
    with transaction.atomic():
        days = daily_stats_rollup(since=today - timedelta(days=ROLLUP_DAYS - 1), until=today, now=now)
    digests = digest_stats_rollup(digests=digests_collecting(now=now), now=now)
    return Rollup(days=days, digests=digests)


def stats_backfill(*, days: int, now: datetime | None = None) -> Rollup:
    """Recount the last ``days`` days and every digest that went out.

    Counts only what the consent log still holds: unconfirmed signups purged after
    PENDING_PURGE_DAYS and erased readers are gone from it, so recounting a settled
    day can lower it. Run it once after installing, not routinely.
    """
    now = now or timezone.now()
    today = local_today(now)
    with transaction.atomic():
        written = daily_stats_rollup(since=today - timedelta(days=days - 1), until=today, now=now)
    digests = digest_stats_rollup(digests=Digest.objects.filter(status__in=Digest.GONE_OUT), now=now)
    return Rollup(days=written, digests=digests)

