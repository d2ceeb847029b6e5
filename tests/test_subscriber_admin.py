"""The subscriber list and page: fast at scale (estimated counts, indexed search and
filters, a fixed number of queries), the history on a subscriber's page, and actions
that go through the same services as every other path."""

import csv
import io

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from subscriptions import counting
from subscriptions.models import ConsentEvent, Subscriber, Subscription, Suppression
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory
from tests.stats_helpers import delivery, event, gone_out_digest

pytestmark = pytest.mark.django_db

LIST = "/ar/admin/subscriptions/subscriber/"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(client, staff_user):
    client.force_login(staff_user)
    return client


def emails_on(response) -> list[str]:
    return [str(r.email) for r in response.context["cl"].result_list]


def test_the_list_costs_the_same_few_queries_for_3_or_60_subscribers(editor, django_assert_num_queries):
    newsletter = NewsletterFactory()
    for _ in range(3):
        SubscriptionFactory(newsletter=newsletter)
    # session, user, the newsletter filter's choices, the (capped) count, the page.
    with django_assert_num_queries(5):
        assert editor.get(LIST).status_code == 200
    for _ in range(57):
        SubscriptionFactory(newsletter=newsletter)
    with django_assert_num_queries(5):
        response = editor.get(LIST)
    assert response.context["cl"].result_count == 60
    with django_assert_num_queries(5):
        editor.get(LIST, {"q": "reader", "status__exact": "confirmed", "newsletter": newsletter.pk,
                          "language__exact": "ar", "source__exact": "form"})


def test_counts_are_exact_when_small_and_estimated_past_the_cap(postgres, monkeypatch):
    for _ in range(8):
        SubscriberFactory()
    assert counting.estimated_count(Subscriber.objects.all()) == 8
    monkeypatch.setattr(counting, "EXACT_UP_TO", 5)
    monkeypatch.setattr(counting, "planner_estimate", lambda qs: 1234)
    assert counting.estimated_count(Subscriber.objects.all()) == 1234
    monkeypatch.setattr(counting, "planner_estimate", lambda qs: 2)  # stale statistics
    assert counting.estimated_count(Subscriber.objects.all()) == 6  # never below what was seen


def test_the_planner_estimate_is_read_from_explain(postgres):
    for _ in range(3):
        SubscriberFactory()
    with postgres.cursor() as cursor:
        cursor.execute("ANALYZE subscriptions_subscriber")
    assert counting.planner_estimate(Subscriber.objects.all()) == 3


def test_search_by_part_of_an_address_or_an_arabic_name(editor):
    SubscriberFactory(email="layla.haddad@example.com", name="ليلى حداد")
    SubscriberFactory(email="omar@example.org", name="عمر الخطيب")
    assert emails_on(editor.get(LIST, {"q": "haddad"})) == ["layla.haddad@example.com"]
    assert emails_on(editor.get(LIST, {"q": "الخطيب"})) == ["omar@example.org"]
    assert emails_on(editor.get(LIST, {"q": "OMAR@EXAMPLE.ORG"})) == ["omar@example.org"]
    short = editor.get(LIST, {"q": "om"}, follow=True)
    assert len(emails_on(short)) == 2 and "أُهملت الكلمات الأقصر" in short.content.decode()


def test_search_uses_the_trigram_index(postgres):
    with postgres.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = Subscriber.objects.filter(email__icontains="haddad").order_by().explain()
        cursor.execute("RESET enable_seqscan")
    assert "subscriber_email_trgm" in plan


def test_filters_by_status_newsletter_language_and_source(editor):
    weekly, other = NewsletterFactory(), NewsletterFactory(slug="sport", name="رياضة")
    a = SubscriptionFactory(newsletter=weekly, subscriber__email="a@example.com").subscriber
    b = SubscriptionFactory(newsletter=other, subscriber__email="b@example.com", subscriber__language="en",
                            subscriber__source="import").subscriber
    SubscriptionFactory(newsletter=weekly, status="unsubscribed", subscriber__email="c@example.com")
    SubscriberFactory(email="d@example.com", status="pending")
    assert emails_on(editor.get(LIST, {"newsletter": weekly.pk})) == [a.email]
    assert emails_on(editor.get(LIST, {"newsletter": other.pk})) == [b.email]
    assert emails_on(editor.get(LIST, {"status__exact": "pending"})) == ["d@example.com"]
    assert emails_on(editor.get(LIST, {"language__exact": "en"})) == [b.email]
    assert emails_on(editor.get(LIST, {"source__exact": "import"})) == [b.email]


def test_a_subscribers_page_shows_their_consent_log_and_deliveries(editor):
    newsletter = NewsletterFactory()
    reader = SubscriberFactory(email="sara@example.com")
    event(reader, ConsentEvent.Event.SIGNUP, timezone.now(), newsletter)
    event(reader, ConsentEvent.Event.CONFIRM, timezone.now(), newsletter)
    digest = gone_out_digest(newsletter, number=7, sent_at=timezone.now())
    delivery(digest, reader, sent_at=timezone.now(), opened_at=timezone.now())
    html = editor.get(f"{LIST}{reader.pk}/change/").content.decode()
    log = html[html.index('id="consent-log"'):html.index('id="delivery-history"')]
    assert 'class="consent-signup"' in log and 'class="consent-confirm"' in log and "طلب الاشتراك" in log
    history = html[html.index('id="delivery-history"'):]
    assert "العدد 7" in history and 'class="delivery-sent"' in history


def test_the_history_is_limited_and_links_to_the_whole_log(editor, django_assert_max_num_queries):
    reader = SubscriberFactory()
    for _ in range(55):
        event(reader, ConsentEvent.Event.SIGNUP, timezone.now())
    with django_assert_max_num_queries(12):
        html = editor.get(f"{LIST}{reader.pk}/change/").content.decode()
    assert html.count('class="consent-signup"') == 50
    assert f"/ar/admin/subscriptions/consentevent/?subscriber__exact={reader.pk}" in html
    whole = editor.get(f"/ar/admin/subscriptions/consentevent/?subscriber__exact={reader.pk}")
    assert whole.status_code == 200 and whole.context["cl"].result_count == 55


def action(client, name, subscribers, **extra):
    return client.post(LIST, {"action": name, "_selected_action": [s.pk for s in subscribers], **extra})


def test_resend_verification_goes_through_the_signup_path_and_its_cooldown(
    editor, django_capture_on_commit_callbacks
):
    newsletter = NewsletterFactory()
    pending = SubscriberFactory(status="pending", email="p@example.com")
    event(pending, ConsentEvent.Event.SIGNUP, timezone.now(), newsletter)
    confirmed = SubscriberFactory(email="c@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = action(editor, "resend_verification", [pending, confirmed])
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["p@example.com"]]
    assert newsletter.name in mail.outbox[0].body
    pending.refresh_from_db()
    assert pending.verification_count == 1
    # A second click at once: the 15-minute cooldown holds, as for the signup form.
    with django_capture_on_commit_callbacks(execute=True):
        action(editor, "resend_verification", [pending])
    assert len(mail.outbox) == 1


def test_unsubscribe_uses_the_service_and_records_the_editor(editor):
    reader = SubscriptionFactory().subscriber
    action(editor, "unsubscribe_selected", [reader])
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    assert not Subscription.objects.filter(subscriber=reader, status="subscribed").exists()
    assert ConsentEvent.objects.get(subscriber=reader, event="unsubscribe").form == "admin:amal"


def test_erase_asks_first_then_erases_and_suppresses(editor):
    reader = SubscriptionFactory(subscriber__email="gone@example.com").subscriber
    event(reader, ConsentEvent.Event.CONFIRM, timezone.now())
    confirm = action(editor, "erase_selected", [reader])
    assert confirm.status_code == 200 and "gone@example.com" in confirm.content.decode()
    assert Subscriber.objects.filter(pk=reader.pk).exists()

    action(editor, "erase_selected", [reader], post="yes")
    assert not Subscriber.objects.filter(pk=reader.pk).exists()
    assert not ConsentEvent.objects.filter(subscriber_id=reader.pk).exists()
    assert Suppression.is_suppressed("gone@example.com")


def test_actions_refuse_more_than_the_limit(editor, monkeypatch):
    from subscriptions import subscriber_admin

    monkeypatch.setattr(subscriber_admin, "ACTION_LIMIT", 2)
    readers = [SubscriberFactory() for _ in range(3)]
    response = action(editor, "erase_selected", readers, post="yes")
    assert response.status_code == 302 and Subscriber.objects.count() == 3


def test_export_selection_and_the_filtered_list(editor):
    newsletter = NewsletterFactory()
    chosen = SubscriptionFactory(newsletter=newsletter, subscriber__email="x@example.com",
                                 subscriber__name="=HYPERLINK()").subscriber
    SubscriberFactory(email="y@example.com", status="pending")
    response = action(editor, "export_selected", [chosen])
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffemail,name,language,newsletters")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[1][:4] == ["x@example.com", "'=HYPERLINK()", "ar", "this-week"]

    filtered = editor.get(reverse("admin:subscriptions_subscriber_export"), {"status__exact": "pending"})
    assert filtered["Content-Disposition"].startswith('attachment; filename="subscribers-')
    rows = list(csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode().lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == ["y@example.com"]


def test_the_list_offers_import_and_export(editor):
    html = editor.get(LIST).content.decode()
    assert 'class="subscriber-import"' in html and 'class="subscriber-export"' in html


def test_export_with_a_broken_filter_goes_back_to_the_list(editor):
    response = editor.get(reverse("admin:subscriptions_subscriber_export"), {"created_at__gte": "not-a-date"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
