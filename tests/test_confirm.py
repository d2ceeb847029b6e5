"""/confirm/<token>/ — GET never changes state; the page's POST confirms once."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from subscriptions import tokens
from subscriptions.links import confirm_url
from subscriptions.models import ConsentEvent, Subscriber, Subscription
from subscriptions.services import subscribers_purge_pending
from tests.factories import NewsletterFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def newsletter():
    return NewsletterFactory()


@pytest.fixture
def pending(newsletter):
    return SubscriberFactory(status="pending", email="p@example.com")


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_get_changes_nothing_and_offers_a_button(client, pending, newsletter):
    url = path_of(confirm_url(pending, [newsletter.pk]))
    for _ in range(3):  # a link scanner may fetch it several times
        response = client.get(url)
        assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="post"' in html and "confirm.js" in html and "نعم، أريد الاشتراك" in html
    pending.refresh_from_db()
    assert pending.status == "pending" and not Subscription.objects.exists()


def test_the_post_confirms_subscribes_and_records_consent(client, pending, newsletter):
    url = path_of(confirm_url(pending, [newsletter.pk]))
    response = client.post(url, REMOTE_ADDR="203.0.113.50", HTTP_USER_AGENT="Firefox/140")
    assert response.status_code == 200
    assert "تم تأكيد اشتراكك" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "confirmed" and pending.confirmed_at is not None
    assert Subscription.objects.get(subscriber=pending).status == "subscribed"
    event = ConsentEvent.objects.get(event="confirm")
    assert (event.ip, event.user_agent, event.newsletter_id) == ("203.0.113.50", "Firefox/140", newsletter.pk)


def test_confirming_twice_is_harmless(client, pending, newsletter):
    url = path_of(confirm_url(pending, [newsletter.pk]))
    client.post(url)
    again = client.post(url)
    assert again.status_code == 200 and "أنت مشترك بالفعل" in again.content.decode()
    assert ConsentEvent.objects.filter(event="confirm").count() == 1
    assert client.get(url).status_code == 200  # the page still opens


def test_a_link_dies_after_an_unsubscribe(client, pending, newsletter):
    url = path_of(confirm_url(pending, [newsletter.pk]))
    Subscriber.objects.filter(pk=pending.pk).update(status="unsubscribed")
    response = client.post(url)
    assert response.status_code == 410
    assert Subscriber.objects.get(pk=pending.pk).status == "unsubscribed"
    assert "أدخل عنوانك وسنرسل إليك رابطاً جديداً" in response.content.decode()


def test_an_expired_link_shows_a_friendly_page_with_a_new_link_form(client, pending, newsletter, monkeypatch, settings):
    url = path_of(confirm_url(pending, [newsletter.pk]))
    now = tokens._now()
    monkeypatch.setattr(tokens, "_now", lambda: now + settings.CONFIRM_TOKEN_MAX_AGE + 1)
    response = client.get(url)
    assert response.status_code == 410
    html = response.content.decode()
    assert 'name="email"' in html and 'value="resend"' in html
    assert client.post(url).status_code == 410
    assert Subscriber.objects.get(pk=pending.pk).status == "pending"


@pytest.mark.parametrize("token", ["garbage", "eyJhIjoxfQ:1abc:forged", "x" * 300])
def test_a_tampered_link_shows_a_friendly_page(client, token):
    response = client.get(f"/ar/confirm/{token}/")
    assert response.status_code == 400
    assert "هذا الرابط لم يعد صالحاً" in response.content.decode()


def test_a_welcome_email_follows_confirmation_when_the_newsletter_has_one(client, pending, newsletter, django_capture_on_commit_callbacks):
    newsletter.welcome_text = "أهلاً بك بين قرّائنا."
    newsletter.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path_of(confirm_url(pending, [newsletter.pk])))
    (welcome,) = mail.outbox
    assert welcome.to == ["p@example.com"] and "أهلاً بك بين قرّائنا." in welcome.body
    assert welcome.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unconfirmed_signups_are_purged_after_the_set_time(newsletter, client):
    old = SubscriberFactory(status="pending", email="old@example.com")
    ConsentEvent.objects.create(subscriber=old, event="signup", form="page")
    Subscriber.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    SubscriberFactory(status="pending", email="fresh@example.com")
    once_confirmed = SubscriberFactory(status="pending", email="back@example.com", confirmed_at=timezone.now())
    Subscriber.objects.filter(pk=once_confirmed.pk).update(created_at=timezone.now() - timedelta(days=300))
    assert subscribers_purge_pending(older_than_days=30) == 1
    assert set(Subscriber.objects.values_list("email", flat=True)) == {"fresh@example.com", "back@example.com"}
    assert not ConsentEvent.objects.filter(subscriber_id=old.pk).exists()
