"""The complaint guard: rates per digest and per day, the dashboard's warning, the
pause past the limit, and an editor's resume."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions.complaints import (
    PAUSE,
    WARN,
    complaint_guard,
    complaint_rates,
    complaint_warnings,
    newsletter_sending_paused,
)
from subscriptions.models import Delivery, Digest, Newsletter
from tests.factories import NewsletterFactory
from tests.webhooks import ANYMAIL_SETTINGS, ledger, post, postmark_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, **ANYMAIL_SETTINGS}
    settings.COMPLAINT_WARN_RATE = 0.001
    settings.COMPLAINT_PAUSE_RATE = 0.003
    settings.COMPLAINT_MIN_DELIVERED = 1000


def delivered(digest, deliveries, *, ago=timedelta(seconds=1)):
    # Moments ago, so deliveries and complaints fall on the same local day (per-day
    # rates split at midnight in TIME_ZONE).
    Delivery.objects.filter(digest=digest).update(delivered_at=timezone.now() - ago)
    return deliveries


@pytest.fixture
def complain(client, django_capture_on_commit_callbacks):
    """Readers mark copies as spam; the guard runs as the task each complaint queues
    after commit (inline here, as without a broker)."""

    def complain(deliveries):
        for delivery in deliveries:
            with django_capture_on_commit_callbacks(execute=True) as queued:
                response = post(client, "postmark", postmark_event("spam_complaint", delivery=delivery))
            assert response.status_code == 200 and len(queued) == 1

    return complain


@pytest.fixture
def going_out():
    """A digest delivered to 1,000 readers, still sending."""
    digest, deliveries = ledger(1000)
    return digest, delivered(digest, deliveries)


def test_a_rate_above_a_tenth_of_a_percent_warns_without_pausing(complain, going_out):
    digest, deliveries = going_out
    complain(deliveries[:2])  # 0.2%
    warnings = complaint_warnings(fresh=True)
    assert {(w.digest_id, w.day) for w in warnings} == {(digest.pk, None), (None, timezone.localdate())}
    assert all(w.level == WARN and w.complained == 2 and w.delivered == 1000 for w in warnings)
    assert warnings[0].percent == "0.20%"
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING
    assert newsletter_sending_paused(newsletter_id=digest.newsletter_id) == ""


def test_past_three_tenths_of_a_percent_the_newsletter_pauses(complain, going_out):
    digest, deliveries = going_out
    other_digest, _ = ledger(5, newsletter=NewsletterFactory(slug="sport", name="رياضة"))
    complain(deliveries[:3])  # exactly 0.3%: not past it
    assert newsletter_sending_paused(newsletter_id=digest.newsletter_id) == ""
    complain(deliveries[3:4])  # 0.4%
    digest.refresh_from_db()
    reason = newsletter_sending_paused(newsletter_id=digest.newsletter_id)
    assert digest.status == Digest.Status.PAUSED and digest.pause_reason == reason
    assert "0.40%" in reason and "4" in reason and digest.subject in reason
    assert "معدل الشكاوى" in reason  # editors read it in the admin, in Arabic
    other_digest.refresh_from_db()
    assert other_digest.status == Digest.Status.SENDING  # another newsletter goes on
    assert complaint_warnings(fresh=True)[0].level == PAUSE


def test_a_high_rate_on_few_deliveries_warns_but_does_not_pause(complain):
    digest, deliveries = ledger(10)
    delivered(digest, deliveries)
    complain(deliveries[:1])  # 10%, but 1 complaint in 10 proves little
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING
    assert [w.level for w in complaint_warnings(fresh=True)] == [WARN, WARN]


def test_the_pause_limit_is_a_setting(complain, going_out, settings):
    settings.COMPLAINT_PAUSE_RATE = 0.0015
    digest, deliveries = going_out
    complain(deliveries[:2])  # 0.2%
    digest.refresh_from_db()
    assert digest.status == Digest.Status.PAUSED


def test_a_day_with_too_many_complaints_pauses_even_when_each_digest_is_fine(complain):
    # Two digests the same day: 500 deliveries and 2 complaints each (0.4% of 1,000
    # delivered today), while each digest alone has too few deliveries to judge.
    newsletter = NewsletterFactory()
    first, first_copies = ledger(500, newsletter=newsletter)
    second, second_copies = ledger(500, newsletter=newsletter)
    delivered(first, first_copies)
    delivered(second, second_copies)
    complain(first_copies[:2] + second_copies[:2])
    reason = newsletter_sending_paused(newsletter_id=newsletter.pk)
    assert reason and timezone.localdate().strftime("%Y") in reason
    assert set(Digest.objects.values_list("status", flat=True)) == {Digest.Status.PAUSED}


def test_an_editor_resumes_and_the_same_digest_does_not_pause_again(complain, admin_client, going_out):
    digest, deliveries = going_out
    complain(deliveries[:4])
    newsletter = Newsletter.objects.get(pk=digest.newsletter_id)
    assert newsletter.sending_paused_reason

    changelist = reverse("admin:subscriptions_newsletter_changelist")
    response = admin_client.post(
        changelist, {"action": "resume_sending", "_selected_action": [newsletter.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "الإرسال من جديد" in response.content.decode()  # "… may send again", to the editor
    newsletter.refresh_from_db()
    assert newsletter.sending_paused_reason == "" and newsletter.sending_resumed_at is not None
    assert newsletter_sending_paused(newsletter_id=newsletter.pk) == ""

    complain(deliveries[4:6])  # the editor has seen this digest's rate
    newsletter.refresh_from_db()
    assert newsletter.sending_paused_reason == ""

    # The next digest is judged afresh.
    following, copies = ledger(1000, newsletter=newsletter)
    Digest.objects.filter(pk=following.pk).update(send_started_at=timezone.now())
    delivered(following, copies)
    complain(copies[:4])
    newsletter.refresh_from_db()
    assert following.subject in newsletter.sending_paused_reason


def test_the_newsletter_list_shows_which_newsletters_may_send(admin_client, going_out, complain):
    digest, deliveries = going_out
    complain(deliveries[:4])
    html = admin_client.get(reverse("admin:subscriptions_newsletter_changelist")).content.decode()
    assert 'alt="False"' in html  # the "sending allowed" column
    page = admin_client.get(reverse("admin:subscriptions_newsletter_change", args=[digest.newsletter_id]))
    assert "معدل الشكاوى" in page.content.decode()  # why, on the newsletter's own page


def test_the_guard_counts_with_a_few_statements(going_out, django_assert_num_queries):
    digest, _deliveries = going_out
    with django_assert_num_queries(5):  # the digest; complaints and delivered, per digest and today
        assert complaint_guard(digest_id=digest.pk) == ""
    with django_assert_num_queries(3):  # delivered counts are cached for a minute
        complaint_guard(digest_id=digest.pk)


def test_the_dashboard_table_is_counted_once_then_cached(going_out, django_assert_num_queries):
    digest, _deliveries = going_out
    first = complaint_rates()
    with django_assert_num_queries(0):
        assert complaint_rates() == first
    assert [(r.digest_id, r.delivered, r.complained) for r in first if r.digest_id] == [(digest.pk, 1000, 0)]
