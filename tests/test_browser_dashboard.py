"""An editor's look at the list in headless Chromium: log in, read the dashboard (its
charts drawn right to left in Arabic), search a subscriber, open their history.
Screenshots land in artifacts/."""

import datetime
import re

import pytest
from django.utils import timezone

from subscriptions import stats
from subscriptions.models import ConsentEvent, DigestStat
from tests.conftest import admin_sign_in
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory
from tests.stats_helpers import delivery, event, gone_out_digest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Accounts here are made per test: a quick hasher instead of ~1 s of PBKDF2 each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

E = ConsentEvent.Event


def history():
    """Two months of signups and confirmations, a few departures, a sent digest."""
    newsletter = NewsletterFactory()
    now = timezone.now()
    for day in range(60):
        when = now - datetime.timedelta(days=day)
        for n in range(day % 7 + 2):
            reader = SubscriberFactory(email=f"r{day}-{n}@example.com", name="قارئ")
            event(reader, E.SIGNUP, when - datetime.timedelta(minutes=10), newsletter)
            if n % 3:
                event(reader, E.CONFIRM, when, newsletter)
            if day % 9 == 0:  # a bad day: everyone who came that day leaves again
                event(reader, E.UNSUBSCRIBE, when, newsletter)
    layla = SubscriptionFactory(newsletter=newsletter, subscriber__email="layla.haddad@example.com",
                                subscriber__name="ليلى حداد").subscriber
    event(layla, E.SIGNUP, now - datetime.timedelta(days=20), newsletter)
    event(layla, E.CONFIRM, now - datetime.timedelta(days=20, minutes=-3), newsletter)
    digest = gone_out_digest(newsletter, number=12, sent_at=now - datetime.timedelta(days=2), recipients=2400)
    delivery(digest, layla, sent_at=digest.sent_at, delivered_at=digest.sent_at,
             opened_at=digest.sent_at + datetime.timedelta(hours=3))
    stats.stats_backfill(days=90)
    DigestStat.objects.filter(digest=digest).update(sent=2400, delivered=2380, opened=1100, clicked=240, bounced=20,
                                                    complained=1, unsubscribed=6)
    return layla


def test_an_editor_reads_the_dashboard_searches_and_opens_a_history(page, live_server, staff_user, artifacts):
    layla = history()
    base = live_server.url
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1300, "height": 900})

    admin_sign_in(page, f"{base}/admin/", lands_on=f"{base}/ar/admin/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "لوحة المتابعة"

    # Four charts, drawn: today's bar to the left of a bar from weeks ago (time runs right to left).
    assert page.locator("svg.nashra-svg").count() == 4
    assert page.locator("#chart-signups rect.bar").count() >= 55
    today = page.locator(f'#chart-confirmations rect[data-day="{timezone.localdate().isoformat()}"]').bounding_box()
    weeks_ago = page.locator(
        f'#chart-confirmations rect[data-day="{(timezone.localdate() - datetime.timedelta(days=40)).isoformat()}"]'
    ).bounding_box()
    assert today["x"] < weeks_ago["x"]
    assert page.locator("#chart-net rect.bar.negative").count() >= 1  # days with more leaving than joining
    assert "نسبة التأكيد" in page.locator("#confirmation-rate").inner_text()
    assert "العدد 12" in page.locator("#digests-panel").inner_text()
    assert not [e for e in errors if "Content Security Policy" in e]
    page.screenshot(path=artifacts / "admin-dashboard-ar.png", full_page=True)

    # Find Layla by part of her name and open her page.
    page.click("a[href='/ar/admin/subscriptions/subscriber/']")
    page.fill("#searchbar", "حداد")
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    results = page.locator("#result_list tbody tr")
    assert results.count() == 1
    page.click("#result_list tbody tr th a")
    page.wait_for_url(re.compile(rf"/ar/admin/subscriptions/subscriber/{layla.pk}/change/"))
    log = page.locator("#consent-log").inner_text()
    assert "طلب الاشتراك" in log and "مؤكَّد" in log
    deliveries = page.locator("#delivery-history").inner_text()
    assert "العدد 12" in deliveries
    page.screenshot(path=artifacts / "admin-subscriber-history-ar.png", full_page=True)
