"""The dashboard's numbers are rolled up from the consent log and the delivery ledger:
per local day, distinct readers; per digest, human opens and clicks, bounces,
complaints and the week's unsubscribes."""

import datetime

import pytest

from subscriptions import stats
from subscriptions.dashboard import daily_stats
from subscriptions.models import ConsentEvent, DailyStat, Digest, DigestStat
from tests.factories import NewsletterFactory, SubscriberFactory
from tests.stats_helpers import delivery, event, gone_out_digest, local

pytestmark = pytest.mark.django_db

E = ConsentEvent.Event
S = datetime.timedelta(seconds=1)


def test_days_are_local_days_and_readers_are_counted_once_per_day():
    newsletter, other = NewsletterFactory(), NewsletterFactory(slug="other", name="أخرى")
    sara, omar, laila = SubscriberFactory(), SubscriberFactory(), SubscriberFactory()
    # 23:30 and 00:30 in Damascus: 20:30 and 21:30 UTC of the same UTC day, two local days.
    event(sara, E.SIGNUP, local(2026, 11, 18, 23, 30), newsletter)
    event(omar, E.SIGNUP, local(2026, 11, 19, 0, 30), newsletter)
    # Asking twice the same day is one signup; confirming two newsletters one confirmation.
    event(omar, E.SIGNUP, local(2026, 11, 19, 9), newsletter)
    event(omar, E.CONFIRM, local(2026, 11, 19, 10), newsletter)
    event(omar, E.CONFIRM, local(2026, 11, 19, 10), other)
    event(laila, E.IMPORT, local(2026, 11, 19, 11), newsletter)
    event(sara, E.UNSUBSCRIBE, local(2026, 11, 19, 12), newsletter)
    event(laila, E.COMPLAINT, local(2026, 11, 19, 13))
    event(sara, E.RESUBSCRIBE, local(2026, 11, 20, 8), newsletter)
    event(laila, E.BOUNCE, local(2026, 11, 20, 9))

    written = stats.daily_stats_rollup(since=datetime.date(2026, 11, 17), until=datetime.date(2026, 11, 20))

    assert written == 4
    rows = {row.day.day: row for row in DailyStat.objects.all()}
    assert [(rows[d].signups, rows[d].confirmations, rows[d].imports, rows[d].unsubscribes, rows[d].complaints,
             rows[d].resubscribes, rows[d].bounces) for d in (17, 18, 19, 20)] == [
        (0, 0, 0, 0, 0, 0, 0),
        (1, 0, 0, 0, 0, 0, 0),
        (1, 1, 1, 1, 1, 0, 0),
        (0, 0, 0, 0, 0, 1, 1),
    ]
    # Net growth: joined (confirmed, imported, back) minus left (unsubscribed, bounced, complained).
    assert [rows[d].net for d in (17, 18, 19, 20)] == [0, 0, 0, 0]
    assert rows[19].confirmations + rows[19].imports - rows[19].unsubscribes - rows[19].complaints == 0


def test_a_rollup_recounts_instead_of_adding_and_keeps_settled_days():
    reader = SubscriberFactory()
    event(reader, E.CONFIRM, local(2026, 11, 10))
    event(reader, E.CONFIRM, local(2026, 11, 20, 9))
    now = local(2026, 11, 20, 15)
    stats.stats_backfill(days=30, now=now)
    stats.stats_rollup(now=now)
    stats.stats_rollup(now=now)
    series = daily_stats(days=30, today=datetime.date(2026, 11, 20))
    assert len(series) == 30 and series[0].day == datetime.date(2026, 10, 22) and series[-1].day.day == 20
    assert [row.day.day for row in series if row.confirmations] == [10, 20]
    assert sum(row.confirmations for row in series) == 2

    # Beat recounts only today and yesterday: an event removed from a settled day
    # (a purge, an erasure) does not rewrite that day's history.
    DailyStat.objects.filter(day=datetime.date(2026, 11, 10)).update(confirmations=5)
    stats.stats_rollup(now=now)
    assert DailyStat.objects.get(day=datetime.date(2026, 11, 10)).confirmations == 5


def test_missing_days_read_as_zeros():
    series = daily_stats(days=90, today=datetime.date(2026, 11, 20))
    assert len(series) == 90 and all(row.net == 0 and row.signups == 0 for row in series)
    assert series[0].day == datetime.date(2026, 8, 23)


def test_digest_numbers_count_human_opens_and_clicks_and_the_weeks_unsubscribes():
    newsletter = NewsletterFactory()
    sent = local(2026, 11, 19, 9)
    digest = gone_out_digest(newsletter, number=1, sent_at=sent, recipients=6)
    a, b, c, d, e, f = (SubscriberFactory() for _ in range(6))
    # Opened a minute after delivery and clicked: a person.
    delivery(digest, a, sent_at=sent, delivered_at=sent + 5 * S, opened_at=sent + 3600 * S,
             clicked_at=sent + 3700 * S)
    # A privacy proxy's open and a link scanner's click: stored as bot events by the
    # receiver, so the delivery carries no open or click.
    delivery(digest, b, sent_at=sent, delivered_at=sent + 5 * S)
    # No delivery event from the ESP: measured from sending.
    delivery(digest, c, sent_at=sent, opened_at=sent + 600 * S)
    delivery(digest, d, sent_at=sent, bounced_at=sent + 10 * S)
    delivery(digest, e, sent_at=sent, delivered_at=sent + 5 * S, complained_at=sent + 7200 * S)
    delivery(digest, f, status="failed")
    event(e, E.UNSUBSCRIBE, sent + datetime.timedelta(days=1), newsletter)
    event(c, E.UNSUBSCRIBE, sent + datetime.timedelta(days=8), newsletter)  # next week's
    event(a, E.UNSUBSCRIBE, sent - datetime.timedelta(hours=1), newsletter)  # before it went out

    stats.digest_stats_rollup(digests=[digest], now=sent + datetime.timedelta(days=2))

    stat = DigestStat.objects.get(digest=digest)
    assert (stat.sent, stat.delivered, stat.opened, stat.clicked, stat.bounced, stat.complained,
            stat.unsubscribed) == (5, 3, 2, 1, 1, 1, 1)
    assert stat.reached == 3


def test_beat_recounts_digests_still_collecting_and_leaves_old_ones():
    newsletter = NewsletterFactory()
    now = local(2026, 11, 20)
    recent = gone_out_digest(newsletter, number=1, sent_at=now - datetime.timedelta(days=3))
    old = gone_out_digest(newsletter, number=2, sent_at=now - datetime.timedelta(days=60))
    sending = gone_out_digest(newsletter, number=3, sent_at=now - datetime.timedelta(days=90),
                              status=Digest.Status.SENDING)
    draft = Digest.objects.create(newsletter=newsletter, period_start=now, period_end=now + datetime.timedelta(1),
                                  subject="مسودة", slug="draft")
    assert set(stats.digests_collecting(now=now)) == {recent, old, sending}  # old: never counted yet
    stats.stats_rollup(now=now)
    assert set(stats.digests_collecting(now=now)) == {recent, sending}
    assert not DigestStat.objects.filter(digest=draft).exists()
