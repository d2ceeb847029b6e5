"""The verification email, sent through Anymail's real Mailgun backend to a stand-in API."""

import json
import re

import pytest

from subscriptions.models import Subscriber
from tests.conftest import wait_for
from tests.factories import NewsletterFactory
from tests.mailgun_standin import Scripted

pytestmark = pytest.mark.django_db


def signup(client, capture, url, payload):
    with capture(execute=True):
        response = client.post(url, data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 200
    return response


def test_the_arabic_verification_email(client, mailgun, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://nashra.example"
    NewsletterFactory(from_name="جريدة الأيام", from_email="newsletter@news.example")
    signup(client, django_capture_on_commit_callbacks, "/ar/subscribe/", {"name": "سارة", "email": "sara@example.com"})

    (request,) = mailgun.requests
    assert request["path"] == "/v3/news.example/messages"
    (message,) = mailgun.delivered
    assert message.to == "sara@example.com"
    assert "جريدة الأيام" in message.sender and "newsletter@news.example" in message.sender
    assert message.subject == "يرجى تأكيد اشتراكك في «الأيام في هذا الأسبوع»"
    # Both parts, right to left, with the confirm link; says who asked, when, and that ignoring is safe.
    assert '<html lang="ar" dir="rtl">' in message.html
    link = re.search(r"https://nashra\.example/ar/confirm/[^/\s\"]+/", message.text).group(0)
    assert link in message.html
    assert "sara@example.com" in message.text and "تجاهل هذه الرسالة" in message.text
    assert re.search(r"\d{4}", message.text)  # the date of the request
    # No tracking in a verification email.
    assert message.options.get("tracking-opens") == "no" and message.options.get("tracking-clicks") == "no"
    assert message.headers.get("Auto-Submitted") == "auto-generated"
    assert message.tags == ["verification"]
    # The link works: it confirms.
    response = client.post(link.replace("https://nashra.example", ""))
    assert response.status_code == 200
    assert Subscriber.objects.get().status == "confirmed"


def test_an_english_reader_gets_it_in_english(client, mailgun, django_capture_on_commit_callbacks):
    NewsletterFactory(name="This Week")
    signup(client, django_capture_on_commit_callbacks, "/en/subscribe/", {"email": "sam@example.com"})
    (message,) = mailgun.delivered
    assert message.subject == "Please confirm your subscription to “This Week”"
    assert '<html lang="en" dir="ltr">' in message.html
    assert "/en/confirm/" in message.text and "ignore this email" in message.text


@pytest.fixture
def worker_env(mailgun):
    return mailgun.env


@pytest.mark.worker
def test_an_esp_outage_is_retried_by_the_worker_not_lost(client, mailgun, celery_worker):
    """Queued after commit through the real broker; a real worker meets a 503, backs off,
    and the retry delivers."""
    NewsletterFactory()
    mailgun.plan = [Scripted(status=503)]
    response = client.post("/ar/subscribe/", data=json.dumps({"email": "r@example.com"}), content_type="application/json")
    assert response.status_code == 200
    wait_for(lambda: mailgun.delivered, timeout=30, what="the retried verification email")
    assert [r["status"] for r in mailgun.requests] == [503, 200]
    assert [m.to for m in mailgun.delivered] == ["r@example.com"]


def test_only_429_5xx_and_no_answer_are_worth_a_retry():
    from anymail.exceptions import AnymailRequestsAPIError

    from subscriptions.tasks import is_transient

    def api_error(status):
        error = AnymailRequestsAPIError("x")
        error.status_code = status
        return error

    assert [is_transient(api_error(s)) for s in (429, 500, 503, None)] == [True] * 4
    assert [is_transient(api_error(s)) for s in (400, 401, 404)] == [False] * 3
    assert is_transient(ConnectionRefusedError()) and not is_transient(ValueError())
