import json

import pytest

from subscriptions.leaving import subscriber_erase
from subscriptions.links import preferences_url
from subscriptions.models import ConsentEvent, Subscriber, Subscription, Suppression
from subscriptions.services import subscriber_signup
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    subscription = SubscriptionFactory(
        subscriber=SubscriberFactory(email="Reader@example.com", name="سارة", confirmed_at="2026-01-01T00:00Z")
    )
    ConsentEvent.objects.create(subscriber=subscription.subscriber, event="signup", ip="203.0.113.4", form="page")
    return subscription.subscriber


def prefs_path(subscriber, language="ar"):
    return "/" + preferences_url(subscriber.pk, language=language).split("/", 3)[3]


def test_the_page_shows_and_saves_name_and_language(client, reader):
    page = client.get(prefs_path(reader))
    assert page.status_code == 200 and "Reader@example.com" in page.content.decode()
    saved = client.post(prefs_path(reader), {"name": "سارة الخطيب", "language": "en"})
    assert saved.status_code == 200
    reader.refresh_from_db()
    assert (reader.name, reader.language) == ("سارة الخطيب", "en")


def test_a_second_newsletter_can_be_chosen(client, reader):
    other = NewsletterFactory(slug="sports", name="رياضة")
    first = Subscription.objects.get(subscriber=reader).newsletter
    client.post(prefs_path(reader), {"name": "سارة", "language": "ar", "newsletters": [str(other.pk)]})
    states = dict(Subscription.objects.filter(subscriber=reader).values_list("newsletter_id", "status"))
    assert states == {first.pk: "unsubscribed", other.pk: "subscribed"}


def test_download_my_data(client, reader):
    response = client.post(prefs_path(reader) + "export/")
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["subscriber"]["email"] == "Reader@example.com" and data["subscriber"]["name"] == "سارة"
    assert data["consent_log"][0]["ip"] == "203.0.113.4"
    assert data["subscriptions"][0]["status"] == "subscribed"


def test_erase_asks_first_then_leaves_nothing_personal(client, reader):
    ask = client.get(prefs_path(reader) + "erase/")
    assert ask.status_code == 200 and Subscriber.objects.filter(pk=reader.pk).exists()
    done = client.post(prefs_path(reader) + "erase/")
    assert done.status_code == 200
    assert not Subscriber.objects.filter(pk=reader.pk).exists()
    assert not Subscription.objects.exists() and not ConsentEvent.objects.exists()
    (suppressed,) = Suppression.objects.all()
    assert "reader" not in suppressed.email_hash.lower() and len(suppressed.email_hash) == 64
    # The link is dead now.
    assert client.get(prefs_path(reader)).status_code == 410


def test_an_erased_address_cannot_sign_up_again_silently(reader, django_capture_on_commit_callbacks):
    newsletter = Subscription.objects.get(subscriber=reader).newsletter
    subscriber_erase(subscriber_id=reader.pk)
    with django_capture_on_commit_callbacks(execute=True):
        queued = subscriber_signup(email="reader@EXAMPLE.com", name="x", language="ar", newsletter=newsletter,
                                   ip=None, user_agent="", form="page", wording="w")
    assert queued is False and not Subscriber.objects.exists()


def test_a_tampered_preferences_link_is_refused(client):
    assert client.get("/ar/preferences/forged/").status_code == 410
    assert client.post("/ar/preferences/forged/erase/").status_code == 410
