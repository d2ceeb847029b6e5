"""The admin index is the editors' dashboard: every panel from small tables or the
cache, in a fixed handful of queries however large the list, in Arabic, right to left."""

import datetime
import re

import pytest
from django.db import connection
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from newsroom.models import WorkerHeartbeat
from subscriptions import dashboard, stats
from subscriptions.models import ConsentEvent, DailyStat, Digest, DigestStat, SendBatch, Subscriber
from tests.factories import NewsletterFactory, SubscriberFactory
from tests.stats_helpers import delivery, event, gone_out_digest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Accounts here are made per test: a quick hasher instead of ~1 s of PBKDF2 each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

INDEX = "/ar/admin/"


@pytest.fixture
def editor(client, staff_user):
    client.force_login(staff_user)
    return client


def sent_digests(count, *, newsletter=None, complained=0, delivered=1000, first=0):
    newsletter = newsletter or NewsletterFactory()
    now = timezone.now()
    digests = []
    for number in range(first, first + count):
        digest = gone_out_digest(newsletter, number=number, sent_at=now - datetime.timedelta(days=7 * (number + 1)),
                                 recipients=delivered + 10)
        DigestStat.objects.create(digest=digest, sent=delivered + 10, delivered=delivered, opened=delivered // 2,
                                  clicked=delivered // 10, bounced=10, complained=complained, unsubscribed=3,
                                  updated_at=now)
        digests.append(digest)
    return digests


def test_the_index_is_the_dashboard_in_arabic_right_to_left(editor):
    reader = SubscriberFactory()
    event(reader, ConsentEvent.Event.CONFIRM, timezone.now())
    stats.stats_rollup()
    html = editor.get(INDEX).content.decode()
    assert 'dir="rtl"' in html and "لوحة المتابعة" in html
    assert "مشترك واحد" in html  # one subscriber, in Arabic's singular form
    assert html.count('<svg viewBox="0 0 720 150"') == 4 and 'direction="rtl"' in html
    assert "صافي النمو" in html and "النمو خلال آخر 90 يومًا" in html
    # Today's confirmation is the leftmost bar in Arabic.
    bar = re.search(r'<rect class="bar" x="([\d.]+)"[^>]*data-day="%s"' % timezone.localdate().isoformat(), html)
    assert bar and float(bar.group(1)) < 10
    # No inline script under the strict CSP, and the app list is still there.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "/ar/admin/subscriptions/subscriber/" in html


def test_subscribers_by_status_and_the_confirmation_rate(editor):
    for status, count in [("confirmed", 3), ("pending", 2), ("unsubscribed", 1)]:
        for _ in range(count):
            SubscriberFactory(status=status)
    today = timezone.localdate()
    DailyStat.objects.create(day=today, signups=8, confirmations=6, updated_at=timezone.now())
    html = editor.get(INDEX).content.decode()
    panel = html[html.index('id="subscribers-panel"'):html.index('id="growth-panel"')]
    assert "6 مشتركين" in panel
    assert re.search(r'status__exact=confirmed"><span class="label">مؤكَّد</span> <span class="value">3<', panel)
    assert re.search(r'status__exact=pending"><span class="label">بانتظار التأكيد</span> <span class="value">2<', panel)
    assert "<strong>75,0٪</strong>" in panel  # 6 of 8, Arabic decimal comma and percent sign


def test_recent_digests_show_counts_and_rates(editor):
    digest = sent_digests(1)[0]
    html = editor.get(INDEX).content.decode()
    row = re.search(r'<tr data-digest="%d">(.*?)</tr>' % digest.pk, html, re.S).group(1)
    assert "العدد 0" in row
    assert re.search(r'data-col="recipients">1.010<', row)
    assert re.search(r'data-col="delivered">1.000 <span class="rate">99,0٪', row)  # of 1,010 sent
    assert re.search(r'data-col="opened">500 <span class="rate">50,0٪', row)  # of 1,000 delivered
    assert re.search(r'data-col="unsubscribed">3 <span class="rate">0,3٪', row)


def test_the_dashboard_costs_the_same_few_queries_however_much_history(editor, django_assert_num_queries):
    newsletter = NewsletterFactory()
    sent_digests(3, newsletter=newsletter)
    sending = gone_out_digest(newsletter, number=90, sent_at=timezone.now(), status=Digest.Status.SENDING)
    for _ in range(3):
        delivery(sending, SubscriberFactory())
    stats.stats_backfill(days=90)
    # With nothing cached (beat not running): session, user, the table's statistics
    # (too small to estimate from; PostgreSQL only) and the status count, 90 days,
    # 10 digests, the digests sending (their ledger is left to the live panel's
    # script), batches, heartbeats, approved digests, paused newsletters, the admin log.
    cold = 12 if connection.vendor == "postgresql" else 11
    with django_assert_num_queries(cold):
        assert editor.get(INDEX).status_code == 200
    # The status counts are cached now.
    with django_assert_num_queries(10):
        editor.get(INDEX)

    sent_digests(8, newsletter=newsletter, first=10)
    for _ in range(20):
        delivery(sending, SubscriberFactory())
    cache.clear()
    with django_assert_num_queries(cold):
        editor.get(INDEX)


def test_with_beat_counting_every_minute_no_page_load_counts_the_big_tables(editor, django_assert_num_queries):
    digest = gone_out_digest(NewsletterFactory(), number=1, sent_at=timezone.now(), status=Digest.Status.SENDING)
    delivery(digest, SubscriberFactory())
    dashboard.dashboard_counts_refresh()  # what beat's "dashboard-counts" does
    with django_assert_num_queries(9):  # no GROUP BY over subscribers or the ledger
        editor.get(INDEX)


def test_a_big_list_with_nothing_cached_shows_postgresqls_estimate(editor, postgres, monkeypatch):
    for status, count in [("confirmed", 6), ("pending", 3), ("unsubscribed", 2)]:
        for _ in range(count):
            SubscriberFactory(status=status)
    with postgres.cursor() as cursor:
        cursor.execute("ANALYZE subscriptions_subscriber")
    monkeypatch.setattr(dashboard, "ESTIMATE_FROM_ROWS", 5)  # "big" for the test
    shown = dashboard.subscriber_status_counts_for_page()
    assert shown.approximate and shown.counts == {"pending": 3, "confirmed": 6, "unsubscribed": 2, "bounced": 0,
                                                  "complained": 0}
    html = editor.get(INDEX).content.decode()
    assert 'id="status-approximate"' in html and "≈ 11 مشتركًا" in html
    dashboard.dashboard_counts_refresh()
    assert not dashboard.subscriber_status_counts_for_page().approximate


def test_status_counts_are_kept_until_recounted_after_a_bulk_change(django_capture_on_commit_callbacks):
    SubscriberFactory()
    assert dashboard.subscriber_status_counts()["confirmed"] == 1
    SubscriberFactory()
    assert dashboard.subscriber_status_counts()["confirmed"] == 1  # as beat last counted
    with django_capture_on_commit_callbacks(execute=True):
        dashboard.subscriber_status_counts_refresh()
    assert dashboard.subscriber_status_counts()["confirmed"] == 2


def test_live_counts_are_fresh_for_the_poll_and_cached_for_the_page(editor):
    digest = gone_out_digest(NewsletterFactory(), number=1, sent_at=timezone.now(), status=Digest.Status.SENDING)
    delivery(digest, SubscriberFactory())
    (send,) = dashboard.sends_in_progress()
    assert send.counts["sent"] == 1
    delivery(digest, SubscriberFactory())
    assert dashboard.sends_in_progress()[0].counts["sent"] == 1
    assert dashboard.sends_in_progress(max_age=0)[0].counts["sent"] == 2


def test_a_complaint_rate_above_a_tenth_of_a_percent_warns(editor):
    sent_digests(1, complained=2, delivered=1000)  # 0.2%
    html = editor.get(INDEX).content.decode()
    assert 'id="complaint-warning"' in html and "0,2٪" in html and "0,1٪" in html
    assert 'data-col="complained" class="nashra-over"' in html


def test_a_complaint_rate_at_the_threshold_does_not(editor):
    sent_digests(1, complained=1, delivered=1000)  # 0.1%
    assert 'id="complaint-warning"' not in editor.get(INDEX).content.decode()
    rows = dashboard.digest_performance()
    assert [r.rate for r in dashboard.complaint_rates(rows)] == [0.001]
    assert dashboard.complaint_warning(rows) is None
    assert dashboard.complaint_warning(rows, threshold=0.0005).complained == 1


def test_without_delivery_events_the_rate_is_over_sent_minus_bounced():
    digest = gone_out_digest(NewsletterFactory(), number=1, sent_at=timezone.now())
    DigestStat.objects.create(digest=digest, sent=510, delivered=0, bounced=10, complained=1, updated_at=timezone.now())
    (row,) = dashboard.digest_performance()
    assert row.reached == 500 and row.complaint_rate == 0.002


def test_a_send_in_progress_shows_live_counts_and_the_json_endpoint_serves_them(editor):
    newsletter = NewsletterFactory()
    digest = gone_out_digest(newsletter, number=1, sent_at=timezone.now(), status=Digest.Status.SENDING, recipients=5)
    for status in ["sent", "sent", "failed", "pending", "pending"]:
        delivery(digest, SubscriberFactory(), status=status)
    html = editor.get(INDEX).content.decode()
    assert 'id="live-panel"' in html and 'src="/static/nashra/dashboard-live.js"' in html
    # Nothing counted yet: the page leaves the ledger to the script's first poll.
    assert '<dd data-count="sent">…</dd>' in html
    dashboard.dashboard_counts_refresh()  # beat's minute tick
    html = editor.get(INDEX).content.decode()
    assert re.search(r'<dd data-count="sent">2</dd>', html)
    assert "60,0٪" in html  # 3 of 5 resolved

    data = editor.get(reverse("admin:dashboard_live")).json()
    (send,) = data["sends"]
    assert send["digest"] == digest.pk and send["status"] == "sending"
    assert send["counts"] == {"pending": 2, "submitting": 0, "sent": 2, "failed": 1, "skipped": 0, "uncertain": 0}
    assert send["progress"] == "60,0٪" and send["recipients"] == "5 مستلمين"


def test_queue_health_counts_unfinished_batches_and_warns_of_a_silent_worker(editor):
    digest = gone_out_digest(NewsletterFactory(), number=1, sent_at=timezone.now(), status=Digest.Status.SENDING)
    for number, status in enumerate(["pending", "pending", "uncertain", "done", "submitting"]):
        SendBatch.objects.create(digest=digest, number=number, status=status, queued_at=timezone.now())
    WorkerHeartbeat.objects.create(hostname="celery@old", seen_at=timezone.now() - datetime.timedelta(minutes=10))
    health = dashboard.queue_health()
    assert (health.pending, health.submitting, health.uncertain, health.workers_alive) == (2, 1, 1, 0)
    assert health.heartbeat_stale and health.heartbeat_minutes == 10
    html = editor.get(INDEX).content.decode()
    assert "دفعتان" in html and "قبل 10 دقائق" in html and "لا نبض حديثاً" in html

    WorkerHeartbeat.objects.create(hostname="celery@new", seen_at=timezone.now())
    health = dashboard.queue_health()
    assert not health.heartbeat_stale and health.workers_alive == 1


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="subscriptions",
                                                         codename__in=codenames))


def test_send_controls_need_the_send_permission(client, django_user_model):
    newsletter = NewsletterFactory()
    now = timezone.now()
    Digest.objects.create(newsletter=newsletter, period_start=now - datetime.timedelta(days=7), period_end=now,
                          subject="جاهزة للإرسال", slug="ready", status=Digest.Status.APPROVED)
    editor = django_user_model.objects.create_user("rana", password="x", is_staff=True)
    grant(editor, "view_subscriber", "view_digest", "change_digest")
    client.force_login(editor)
    html = client.get(INDEX).content.decode()
    assert 'id="digests-panel"' in html and "nashra-send-control" not in html

    grant(editor, "send_digest")
    editor = django_user_model.objects.get(pk=editor.pk)  # drop the permission cache
    client.force_login(editor)
    html = client.get(INDEX).content.decode()
    assert 'class="nashra-send-control"' in html and "جاهزة للإرسال" in html


def test_panels_follow_view_permissions(client, django_user_model):
    clerk = django_user_model.objects.create_user("omar", password="x", is_staff=True)
    grant(clerk, "view_subscriber")
    client.force_login(clerk)
    html = client.get(INDEX).content.decode()
    assert 'id="subscribers-panel"' in html and 'id="digests-panel"' not in html and 'id="queue-panel"' not in html
    assert client.get(reverse("admin:dashboard_live")).status_code == 403


def test_the_send_permission_exists_apart_from_editing():
    permission = Permission.objects.get(codename="send_digest")
    assert permission.content_type.model == "digest" and str(permission.name) == "Can send digests"


def test_the_beat_schedule_rolls_the_numbers_up():
    from newsroom.celery import app

    entry = app.conf.beat_schedule["stats-rollup"]
    assert entry["task"] == "subscriptions.tasks.stats_rollup" and entry["schedule"] == 300.0
    counts = app.conf.beat_schedule["dashboard-counts"]
    assert counts["task"] == "subscriptions.tasks.dashboard_counts_refresh" and counts["schedule"] == 60.0
    reader = SubscriberFactory(status=Subscriber.Status.PENDING)
    event(reader, ConsentEvent.Event.SIGNUP, timezone.now())
    app.tasks["subscriptions.tasks.stats_rollup"].delay()
    assert DailyStat.objects.get(day=timezone.localdate()).signups == 1


@pytest.mark.django_db
def test_the_dashboard_says_when_the_complaint_guard_paused_a_newsletter(admin_client):
    from tests.factories import NewsletterFactory

    NewsletterFactory(sending_paused_reason="الشكاوى تجاوزت 0.3%")
    html = admin_client.get("/ar/admin/").content.decode()
    assert 'id="sending-paused"' in html and "الشكاوى تجاوزت 0.3%" in html
