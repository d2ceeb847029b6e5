"""Demo newsletter and demo readers. Readers are made in bulk: a million of them is a
benchmark fixture, so the PostgreSQL path is one INSERT … SELECT generate_series."""

from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from subscriptions.models import Digest, Newsletter, Subscriber, Subscription

NEWSLETTER_SLUG = "this-week"
# Demo readers are reader<i>@<DEMO_DOMAIN>, i = 1..N, so re-running makes no duplicates.
DEMO_DOMAIN = "readers.nashra.example"
FIRST_NAMES = ["سارة", "أحمد", "ليلى", "محمد", "رنا", "عمر", "هدى", "خالد", "نور", "يوسف", "مريم", "سامر"]
LAST_NAMES = ["الخطيب", "حداد", "العلي", "شامي", "نجار", "الحلبي", "درويش", "قباني"]
# Spread sign-up dates over the last 90 days so dashboards have a history to draw.
SPREAD_DAYS = 90
SQLITE_BATCH = 5000


def seed_newsletter() -> Newsletter:
    newsletter, _ = Newsletter.objects.update_or_create(
        slug=NEWSLETTER_SLUG,
        defaults={
            "name": "الأيام في هذا الأسبوع",
            "description": (
                "رسالة إلكترونية تسلط الضوء على أبرز ما نشر في الجريدة، "
                "إضافة إلى باقة من المواضيع الترفيهية والطريفة."
            ),
            "from_name": "جريدة الأيام",
            "from_email": "newsletter@news.example",
            "reply_to": "editors@news.example",
            "language": "ar",
            "organisation": "جريدة الأيام",
            "postal_address": "شارع بغداد، دمشق",
            "month_names": Newsletter.MonthNames.LEVANTINE,
        },
    )
    return newsletter


def demo_email(index: int) -> str:
    return f"reader{index}@{DEMO_DOMAIN}"


def seed_subscribers(*, newsletter: Newsletter, count: int) -> int:
    """Make readers 1..count confirmed and subscribed to ``newsletter``; return how many
    subscribers were new. Existing ones are left as they are (safe to re-run)."""
    if connection.vendor == "postgresql":
        return _seed_postgresql(newsletter, count)
    return _seed_batched(newsletter, count)


def _seed_postgresql(newsletter: Newsletter, count: int) -> int:
    first = "ARRAY[" + ",".join(["%s"] * len(FIRST_NAMES)) + "]::text[]"
    last = "ARRAY[" + ",".join(["%s"] * len(LAST_NAMES)) + "]::text[]"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO subscriptions_subscriber
                (email, name, language, status, source, created_at, updated_at, confirmed_at)
            SELECT 'reader' || g || '@' || %s,
                   ({first})[1 + g %% {len(FIRST_NAMES)}] || ' ' || ({last})[1 + g %% {len(LAST_NAMES)}],
                   'ar', 'confirmed', 'demo',
                   now() - make_interval(days => g %% {SPREAD_DAYS}),
                   now(),
                   now() - make_interval(days => g %% {SPREAD_DAYS})
            FROM generate_series(1, %s) AS g
            ON CONFLICT DO NOTHING
            """,
            [DEMO_DOMAIN, *FIRST_NAMES, *LAST_NAMES, count],
        )
        created = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO subscriptions_subscription (subscriber_id, newsletter_id, status, subscribed_at)
            SELECT s.id, %s, 'subscribed', s.created_at
            FROM subscriptions_subscriber s
            WHERE s.source = 'demo' AND s.email LIKE %s
            ON CONFLICT DO NOTHING
            """,
            [newsletter.id, f"%@{DEMO_DOMAIN}"],
        )
    return created


def _seed_batched(newsletter: Newsletter, count: int) -> int:
    now = timezone.now()
    before = Subscriber.objects.filter(source=Subscriber.Source.DEMO).count()
    for start in range(1, count + 1, SQLITE_BATCH):
        stop = min(start + SQLITE_BATCH, count + 1)
        with transaction.atomic():
            Subscriber.objects.bulk_create(
                [
                    Subscriber(
                        email=demo_email(i),
                        name=f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}",
                        language="ar",
                        status=Subscriber.Status.CONFIRMED,
                        source=Subscriber.Source.DEMO,
                        confirmed_at=now - timedelta(days=i % SPREAD_DAYS),
                    )
                    for i in range(start, stop)
                ],
                ignore_conflicts=True,
            )
            ids = Subscriber.objects.filter(
                email__in=[demo_email(i) for i in range(start, stop)]
            ).values_list("id", flat=True)
            Subscription.objects.bulk_create(
                [Subscription(subscriber_id=sid, newsletter=newsletter) for sid in ids],
                ignore_conflicts=True,
            )
    return Subscriber.objects.filter(source=Subscriber.Source.DEMO).count() - before


def seed_digests(*, newsletter: Newsletter, now=None):
    """This week's digest as a draft for the editors, and last week's as sent, so the
    admin has a digest to curate and the archive a web version to show.

    Periods end at local midnight after today: re-running seed_demo the same day finds
    the same two digests instead of making more. Returns (this week's, last week's).
    """
    from subscriptions.digest import PERIOD, digest_approve, digest_compile, local_zone

    now = now or timezone.now()
    zone = local_zone()
    end = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(0), tzinfo=zone)
    previous = digest_compile(newsletter=newsletter, period_end=end - PERIOD)
    if previous is not None and previous.status == Digest.Status.DRAFT:
        previous.intro = "أسبوع من الأخبار الطيبة: لقب عربي لمنتخب الشباب وخطة جديدة للنقل العام."
        previous.save(update_fields=["intro"])
        digest_approve(digest=previous)
        # Demo only: marking it sent is the sending pipeline's job in real life.
        Digest.objects.filter(pk=previous.pk).update(status=Digest.Status.SENT, sent_at=previous.period_end)
    current = digest_compile(newsletter=newsletter, period_end=end)
    if current is not None and current.status == Digest.Status.DRAFT and not current.intro:
        current.intro = "إليكم أبرز ما نشرناه هذا الأسبوع، ومعه باقة من المواضيع الخفيفة في الختام."
        current.save(update_fields=["intro"])
    return current, previous
