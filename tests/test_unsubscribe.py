"""/unsubscribe/<token>/ — one click, RFC 8058, harmless repeats, nothing revealed."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from subscriptions import tokens
from subscriptions.models import ConsentEvent, Subscriber, Subscription
from subscriptions.links import unsubscribe_url
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    subscription = SubscriptionFactory(subscriber=SubscriberFactory(email="r@example.com", confirmed_at="2026-01-01T00:00Z"))
    return subscription.subscriber, subscription.newsletter


def path(subscriber, newsletter):
    """The link's path: the email carries it absolute, under SITE_URL."""
    return urlsplit(unsubscribe_url(subscriber.pk, newsletter.pk)).path


@pytest.fixture
def strict():
    """A mailbox provider: no cookies, no CSRF token, and CSRF enforced."""
    return Client(enforce_csrf_checks=True)


def assert_unsubscribed(subscriber):
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    assert Subscription.objects.get(subscriber=subscriber).status == "unsubscribed"


def test_the_link_is_absolute_and_unprefixed(reader, settings):
    settings.SITE_URL = "https://nashra.example"
    url = unsubscribe_url(reader[0].pk, reader[1].pk)
    assert url.startswith("https://nashra.example/unsubscribe/") and url.endswith("/")


def test_one_click_form_encoded_post(reader, strict):
    response = strict.post(path(*reader), data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "Location" not in response
    assert_unsubscribed(reader[0])
    event = ConsentEvent.objects.get(event="unsubscribe")
    assert event.form == "one-click"


def test_one_click_multipart_post(reader, strict):
    response = strict.post(path(*reader), data={"List-Unsubscribe": "One-Click"})  # multipart by default
    assert response.status_code == 200 and "Location" not in response
    assert_unsubscribed(reader[0])


def test_a_get_changes_nothing(reader, client):
    for _ in range(2):
        response = client.get(path(*reader))
        assert response.status_code == 200
    assert "إلغاء الاشتراك" in response.content.decode()
    reader[0].refresh_from_db()
    assert reader[0].status == "confirmed"


def test_the_page_button_unsubscribes_and_offers_to_resubscribe(reader, strict):
    response = strict.post(path(*reader))
    html = response.content.decode()
    assert response.status_code == 200 and "تم إلغاء اشتراكك" in html and "/resubscribe/" in html
    assert_unsubscribed(reader[0])
    back = strict.post(path(*reader) + "resubscribe/")
    assert "عدت إلى قائمتنا" in back.content.decode()
    reader[0].refresh_from_db()
    assert reader[0].status == "confirmed"
    assert Subscription.objects.get(subscriber=reader[0]).status == "subscribed"
    assert list(ConsentEvent.objects.order_by("id").values_list("event", flat=True)) == ["unsubscribe", "resubscribe"]


def test_repeats_are_harmless(reader, strict):
    for _ in range(3):
        assert strict.post(path(*reader), data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert ConsentEvent.objects.filter(event="unsubscribe").count() == 1


def test_unsubscribe_from_one_of_two_newsletters_keeps_the_other(reader, strict):
    subscriber, newsletter = reader
    other = NewsletterFactory(slug="sports", name="رياضة")
    SubscriptionFactory(subscriber=subscriber, newsletter=other)
    strict.post(path(subscriber, newsletter), data={"List-Unsubscribe": "One-Click"})
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
    assert Subscription.objects.get(subscriber=subscriber, newsletter=other).status == "subscribed"
    strict.post(path(subscriber, other), {"everything": "1"})
    assert not Subscription.objects.filter(subscriber=subscriber, status="subscribed").exists()


@pytest.mark.parametrize("token", ["junk", "W1szLCAxXQ:forged", "x" * 200])
def test_a_tampered_token_changes_nothing_and_reveals_nothing(reader, strict, token):
    good = strict.post(path(*reader).replace(tokens.make_unsubscribe_token(*[r.pk for r in reader]), token),
                       data={"List-Unsubscribe": "One-Click"})
    assert good.status_code == 200
    reader[0].refresh_from_db()
    assert reader[0].status == "confirmed"


def test_a_tampered_token_answers_exactly_like_a_real_one(reader, strict):
    real = strict.post(path(*reader), data={"List-Unsubscribe": "One-Click"})
    fake = strict.post("/unsubscribe/junk/", data={"List-Unsubscribe": "One-Click"})
    assert (real.status_code, real.content) == (fake.status_code, fake.content)


def test_a_confirm_token_posted_to_the_unsubscribe_url_changes_nothing(reader, strict):
    confirm = tokens.make_confirm_token(reader[0], [reader[1].pk])
    response = strict.post(f"/unsubscribe/{confirm}/", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    reader[0].refresh_from_db()
    assert reader[0].status == "confirmed"


def test_a_bounced_reader_cannot_resubscribe_by_link(reader, strict):
    Subscriber.objects.filter(pk=reader[0].pk).update(status="bounced")
    strict.post(path(*reader) + "resubscribe/")
    reader[0].refresh_from_db()
    assert reader[0].status == "bounced"


def test_the_page_speaks_the_readers_language(reader, client):
    Subscriber.objects.filter(pk=reader[0].pk).update(language="en")
    html = client.get(path(*reader)).content.decode()
    assert '<html lang="en" dir="ltr">' in html and "Unsubscribe" in html


def test_the_page_the_footer_link_opens_leads_on_to_the_readers_preferences(reader, client):
    page = client.get(path(*reader)).content.decode()
    link = re.search(r'class="preferences-link" href="([^"]+)"', page).group(1)
    preferences = client.get(urlsplit(link).path)
    assert preferences.status_code == 200 and "r@example.com" in preferences.content.decode()
    assert 'class="preferences-link"' not in client.get("/unsubscribe/forged/").content.decode()
