"""The complaint guard: how often readers mark a newsletter as spam, and pausing it when
that is too often.

Complaint rate = copies marked as spam / copies delivered (the ESP's ``delivered``
events), per digest and per day in TIME_ZONE. Above ``COMPLAINT_WARN_RATE`` (0.1%) the
dashboard warns (``complaint_warnings``); above ``COMPLAINT_PAUSE_RATE`` (0.3%, where
Gmail and Yahoo start refusing bulk senders), once at least ``COMPLAINT_MIN_DELIVERED``
copies were delivered, the newsletter's sending pauses (``complaint_guard``, run by the
ESP-event receiver after each complaint) until an editor resumes it in the admin.

Counts read two partial indexes (``delivery_delivered``, ``delivery_complained``), never
the whole ledger. A delivered count can still cover a million rows, so it is cached for
a minute: a slightly stale denominator only makes the rate look higher, the safe side.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from subscriptions.models import Delivery, Digest, Newsletter

log = logging.getLogger(__name__)

OK, WARN, PAUSE = "ok", "warn", "pause"
DELIVERED_CACHE_SECONDS = 60  # the guard's denominators, recounted at most once a minute
RATES_CACHE_SECONDS = 300  # the dashboard's table


@dataclass(frozen=True)
class ComplaintRate:
    """One digest's or one day's rate for a newsletter (exactly one of digest_id, day)."""

    newsletter_id: int
    complained: int
    delivered: int
    digest_id: int | None = None
    day: date | None = None
    label: str = ""

    @property
    def rate(self) -> float:
        # No delivered events yet but complaints already: as bad as it gets (and the
        # minimum below keeps that from pausing anything on its own).
        return self.complained / max(self.delivered, 1)

    @property
    def level(self) -> str:
        if not self.complained:
            return OK
        if self.rate > settings.COMPLAINT_PAUSE_RATE and self.delivered >= settings.COMPLAINT_MIN_DELIVERED:
            return PAUSE
        if self.rate > settings.COMPLAINT_WARN_RATE:
            return WARN
        return OK

    @property
    def percent(self) -> str:
        return f"{self.rate * 100:.2f}%"


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = _zone()
    return datetime.combine(day, time.min, tzinfo=zone), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=zone
    )


def _day_label(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


# --------------------------------------------------------------------------- selectors
def complaint_rates(
    *, newsletter_id: int | None = None, days: int = 7, now=None, fresh: bool = False
) -> list[ComplaintRate]:
    """Per digest that is sending, paused or was sent in the last ``days`` days, and per
    day of those days: complaints, delivered copies, the rate and its level. For the
    dashboard; cached for five minutes (``fresh=True`` recounts)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    key = f"nashra:complaint-rates:{newsletter_id or 'all'}:{days}:{today.isoformat()}"
    if not fresh and (cached := cache.get(key)) is not None:
        return cached
    since = now - timedelta(days=days)
    digests = Digest.objects.filter(
        Q(status__in=[Digest.Status.SENDING, Digest.Status.PAUSED])
        | Q(status=Digest.Status.SENT, sent_at__gte=since)
    )
    if newsletter_id:
        digests = digests.filter(newsletter_id=newsletter_id)
    digests = list(digests.order_by("-period_end", "-id").values_list("pk", "newsletter_id", "subject"))
    ids = [pk for pk, _, _ in digests]
    complained = _count_by(
        "digest_id", Delivery.objects.filter(digest_id__in=ids, complained_at__isnull=False)
    )
    delivered = _count_by("digest_id", Delivery.objects.filter(digest_id__in=ids, delivered_at__isnull=False))
    rates = [
        ComplaintRate(
            newsletter_id=nid,
            digest_id=pk,
            label=subject,
            complained=complained.get(pk, 0),
            delivered=delivered.get(pk, 0),
        )
        for pk, nid, subject in digests
    ]

    start, _end = _day_bounds(today - timedelta(days=days - 1))
    scope = (
        Delivery.objects.filter(digest__newsletter_id=newsletter_id)
        if newsletter_id
        else Delivery.objects.all()
    )
    zone = _zone()
    by_day_complained = _count_by_day(scope.filter(complained_at__gte=start), "complained_at", zone)
    by_day_delivered = _count_by_day(scope.filter(delivered_at__gte=start), "delivered_at", zone)
    for nid, day in sorted(
        set(by_day_complained) | set(by_day_delivered), key=lambda k: (k[0], k[1]), reverse=True
    ):
        rates.append(
            ComplaintRate(
                newsletter_id=nid,
                day=day,
                label=_day_label(day),
                complained=by_day_complained.get((nid, day), 0),
                delivered=by_day_delivered.get((nid, day), 0),
            )
        )
    cache.set(key, rates, RATES_CACHE_SECONDS)
    return rates


def complaint_warnings(
    *, newsletter_id: int | None = None, days: int = 7, now=None, fresh: bool = False
) -> list[ComplaintRate]:
    """What the dashboard should warn about: rates above COMPLAINT_WARN_RATE, the worst
    (those that pause sending) first."""
    rates = complaint_rates(newsletter_id=newsletter_id, days=days, now=now, fresh=fresh)
    return sorted((r for r in rates if r.level != OK), key=lambda r: (r.level != PAUSE, -r.rate))


def _count_by(field: str, queryset) -> dict:
    return dict(queryset.values_list(field).annotate(n=Count("pk")).values_list(field, "n"))


def _count_by_day(queryset, field: str, zone) -> dict[tuple[int, date], int]:
    rows = (
        queryset.annotate(nid=F("digest__newsletter_id"), day=TruncDate(field, tzinfo=zone))
        .values("nid", "day")
        .annotate(n=Count("pk"))
        .values_list("nid", "day", "n")
    )
    return {(nid, day): n for nid, day, n in rows}


def newsletter_sending_paused(*, newsletter_id: int) -> str:
    """Why this newsletter must not send now ("" = it may). The sending pipeline asks
    before it starts a digest; a digest already sending is paused with it."""
    return (
        Newsletter.objects.filter(pk=newsletter_id).values_list("sending_paused_reason", flat=True).first()
        or ""
    )


# --------------------------------------------------------------------------- the guard
def _digest_rate(digest: Digest) -> ComplaintRate:
    complained = Delivery.objects.filter(digest=digest, complained_at__isnull=False).count()
    delivered = cache.get_or_set(
        f"nashra:delivered:digest:{digest.pk}",
        lambda: Delivery.objects.filter(digest=digest, delivered_at__isnull=False).count(),
        DELIVERED_CACHE_SECONDS,
    )
    return ComplaintRate(
        newsletter_id=digest.newsletter_id,
        digest_id=digest.pk,
        label=digest.subject,
        complained=complained,
        delivered=delivered,
    )


def _day_rate(newsletter_id: int, day: date) -> ComplaintRate:
    start, end = _day_bounds(day)
    scope = Delivery.objects.filter(digest__newsletter_id=newsletter_id)
    complained = scope.filter(complained_at__gte=start, complained_at__lt=end).count()
    delivered = cache.get_or_set(
        f"nashra:delivered:day:{newsletter_id}:{day.isoformat()}",
        lambda: scope.filter(delivered_at__gte=start, delivered_at__lt=end).count(),
        DELIVERED_CACHE_SECONDS,
    )
    return ComplaintRate(
        newsletter_id=newsletter_id,
        day=day,
        label=_day_label(day),
        complained=complained,
        delivered=delivered,
    )


def _pause_reason(rate: ComplaintRate) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        what = f"«{rate.label}»" if rate.digest_id else _day_label(rate.day)
        return _(
            "Complaint rate %(rate)s (%(complained)s of %(delivered)s delivered) for %(what)s "
            "passed the limit of %(limit)s."
        ) % {
            "rate": rate.percent,
            "complained": rate.complained,
            "delivered": rate.delivered,
            "what": what,
            "limit": f"{settings.COMPLAINT_PAUSE_RATE * 100:.2f}%",
        }


def complaint_guard(*, digest_id: int, now=None) -> str:
    """After a complaint about a copy of this digest: pause the newsletter's sending if
    the digest's or today's complaint rate passed COMPLAINT_PAUSE_RATE. Returns the
    reason it paused, or "".

    An editor's resume holds for the digests already sending and for the rest of that
    day, so the same rate does not pause again at the next complaint; the next digest
    and the next day are judged afresh.
    """
    digest = Digest.objects.select_related("newsletter").filter(pk=digest_id).first()
    if digest is None or digest.newsletter.sending_paused_reason:
        return ""
    newsletter = digest.newsletter
    now = now or timezone.now()
    today = timezone.localdate(now)
    resumed = newsletter.sending_resumed_at
    started = digest.send_started_at or digest.approved_at or digest.created_at
    checks = []
    if not (resumed and resumed >= started):
        checks.append(lambda: _digest_rate(digest))
    if not (resumed and timezone.localdate(resumed) == today):
        checks.append(lambda: _day_rate(newsletter.pk, today))
    for check in checks:
        rate = check()
        if rate.level == PAUSE:
            reason = _pause_reason(rate)
            newsletter_sending_pause(newsletter_id=newsletter.pk, reason=reason)
            return reason
    return ""


def newsletter_sending_pause(*, newsletter_id: int, reason: str) -> bool:
    """Stop the newsletter's sending: no new send starts, and every digest of it that is
    sending now is paused with the reason. Returns whether it was running until now."""
    reason = reason[:300]
    with transaction.atomic():
        paused = Newsletter.objects.filter(pk=newsletter_id, sending_paused_reason="").update(
            sending_paused_reason=reason
        )
        digests = Digest.objects.filter(newsletter_id=newsletter_id, status=Digest.Status.SENDING).update(
            status=Digest.Status.PAUSED, pause_reason=reason
        )
    if paused:
        log.warning(
            "newsletter sending paused",
            extra={"newsletter": newsletter_id, "digests": digests, "reason": reason},
        )
    return bool(paused)


def newsletter_sending_resume(*, newsletter_id: int, user=None) -> bool:
    """An editor's decision: the newsletter may send again. Digests the guard paused
    stay paused until resumed on their own page."""
    resumed = (
        Newsletter.objects.filter(pk=newsletter_id)
        .exclude(sending_paused_reason="")
        .update(sending_paused_reason="", sending_resumed_at=timezone.now())
    )
    if resumed:
        log.info(
            "newsletter sending resumed", extra={"newsletter": newsletter_id, "by": getattr(user, "pk", None)}
        )
    return bool(resumed)
