"""A digest copy's List-Unsubscribe headers, judged by an independent parser (the
``listunsub`` package) against RFC 2369/8058 and the Gmail/Yahoo bulk-sender rules,
then its one-click POST sent to our own endpoint the way a mailbox provider would."""

from urllib.parse import urlsplit

import listunsub
import pytest
from django.test import Client

from subscriptions.emails import digest_message, list_headers
from subscriptions.links import unsubscribe_url
from subscriptions.models import Digest, Subscriber, Subscription
from subscriptions.rendering import RenderedDigest
from tests.factories import SubscriberFactory, SubscriptionFactory, slot_end

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader():
    subscription = SubscriptionFactory(subscriber=SubscriberFactory(email="sara@example.com"))
    return subscription.subscriber, subscription.newsletter


def digest_copy(subscriber, newsletter):
    digest = Digest.objects.create(
        newsletter=newsletter,
        period_start=slot_end(),
        period_end=slot_end(),
        subject="الأيام في هذا الأسبوع",
        slug="this-week-test",
        status=Digest.Status.SENDING,
    )
    fields = {
        "name": subscriber.name,
        "unsubscribe_url": unsubscribe_url(subscriber.pk, newsletter.pk),
        "web_url": "https://nashra.example/archive/this-week-test/",
    }
    body = RenderedDigest(html="<p dir='rtl'>مرحباً [[nashra:name]]</p>", text="مرحباً [[nashra:name]]")
    return digest_message(digest=digest, rendered=body, fields=fields, to=subscriber.email).message()


def test_a_digest_copy_meets_the_one_click_rules(reader, settings):
    settings.SITE_URL = "https://nashra.example"
    subscriber, newsletter = reader
    headers = list_headers(newsletter=newsletter, unsubscribe=unsubscribe_url(subscriber.pk, newsletter.pk))
    assert listunsub.audit(headers["List-Unsubscribe"], headers["List-Unsubscribe-Post"]) == []

    # The same on the wire: the MIME message a reader's provider receives.
    mime = digest_copy(subscriber, newsletter)
    fields, posts = mime.get_all("List-Unsubscribe"), mime.get_all("List-Unsubscribe-Post")
    assert listunsub.audit(fields, posts) == []
    assert listunsub.parse_header(fields[0]).https == (unsubscribe_url(subscriber.pk, newsletter.pk),)
    assert mime["List-Id"] == f"<{newsletter.slug}.nashra.example>"


@pytest.mark.parametrize("form", ["multipart", "urlencoded"])
def test_the_providers_one_click_post_unsubscribes_at_once(reader, settings, form):
    settings.SITE_URL = "https://nashra.example"
    subscriber, newsletter = reader
    uri = listunsub.parse_header(digest_copy(subscriber, newsletter)["List-Unsubscribe"]).https[0]
    request = listunsub.one_click_request(uri, form=form)
    provider = Client(enforce_csrf_checks=True)  # no cookie, no CSRF token, like Gmail
    response = provider.generic(
        "POST", urlsplit(request.url).path, request.body, request.content_type, secure=True
    )
    assert response.status_code == 200 and "Location" not in response
    assert Subscriber.objects.get(pk=subscriber.pk).status == Subscriber.Status.UNSUBSCRIBED
    assert Subscription.objects.get(subscriber=subscriber).status == Subscription.Status.UNSUBSCRIBED


def test_an_http_site_would_fail_the_rules(reader, settings):
    settings.SITE_URL = "http://nashra.example"
    subscriber, newsletter = reader
    headers = list_headers(newsletter=newsletter, unsubscribe=unsubscribe_url(subscriber.pk, newsletter.pk))
    codes = {p.code for p in listunsub.audit(headers["List-Unsubscribe"], headers["List-Unsubscribe-Post"])}
    assert codes == {"no-https"}
