"""Signup answers the same for every address, and never mails anyone too often."""

import json
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from subscriptions.models import Subscriber, Subscription
from subscriptions.services import subscriber_signup
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory

URL = "/ar/subscribe/"


@pytest.fixture
def newsletter(db):
    return NewsletterFactory()


@pytest.fixture
def signup(client, django_capture_on_commit_callbacks):
    def post(email, name="سارة"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, data=json.dumps({"email": email, "name": name}), content_type="application/json")
        return response.status_code, response.content

    return post


def test_every_kind_of_address_gets_the_same_answer(newsletter, signup):
    SubscriberFactory(email="pending@example.com", status="pending")
    confirmed = SubscriberFactory(email="confirmed@example.com", status="confirmed")
    SubscriptionFactory(subscriber=confirmed, newsletter=newsletter)
    SubscriberFactory(email="left@example.com", status="unsubscribed")
    SubscriberFactory(email="bounced@example.com", status="bounced")
    SubscriberFactory(email="complained@example.com", status="complained")
    answers = {
        email: signup(email)
        for email in ["new@example.com", "pending@example.com", "confirmed@example.com",
                      "left@example.com", "bounced@example.com", "complained@example.com"]
    }
    assert len(set(answers.values())) == 1, answers
    assert next(iter(answers.values()))[0] == 200


def test_who_gets_a_verification_email(newsletter, signup):
    SubscriberFactory(email="pending@example.com", status="pending")
    confirmed = SubscriberFactory(email="confirmed@example.com", status="confirmed", name="Old Name")
    SubscriptionFactory(subscriber=confirmed, newsletter=newsletter)
    SubscriberFactory(email="left@example.com", status="unsubscribed")
    SubscriberFactory(email="bounced@example.com", status="bounced")
    for email in ["new@example.com", "pending@example.com", "confirmed@example.com", "left@example.com", "bounced@example.com"]:
        signup(email, name="Changed")
    assert sorted(m.to[0] for m in mail.outbox) == ["left@example.com", "new@example.com", "pending@example.com"]
    assert Subscriber.objects.get(email="left@example.com").status == "pending"
    assert Subscriber.objects.get(email="bounced@example.com").status == "bounced"
    # A stranger cannot rename a confirmed reader through the form.
    assert Subscriber.objects.get(email="confirmed@example.com").name == "Old Name"


def test_a_confirmed_reader_of_another_newsletter_must_confirm_this_one(newsletter, signup):
    other = NewsletterFactory(slug="sports", name="رياضة")
    reader = SubscriberFactory(email="r@example.com", status="confirmed")
    SubscriptionFactory(subscriber=reader, newsletter=other)
    signup("r@example.com")
    assert [m.to[0] for m in mail.outbox] == ["r@example.com"]
    assert not Subscription.objects.filter(subscriber=reader, newsletter=newsletter).exists()


def test_a_pending_address_is_mailed_again_only_after_the_cooldown(newsletter, signup):
    signup("p@example.com")
    signup("p@example.com")
    assert len(mail.outbox) == 1
    Subscriber.objects.filter(email="p@example.com").update(
        verification_sent_at=timezone.now() - timedelta(minutes=16)
    )
    signup("p@example.com")
    assert len(mail.outbox) == 2


def test_no_more_than_three_verification_emails_a_day(newsletter, signup):
    for _ in range(6):
        signup("p@example.com")
        Subscriber.objects.filter(email="p@example.com").update(
            verification_sent_at=timezone.now() - timedelta(minutes=20)
        )
    assert len(mail.outbox) == 3


def test_the_case_of_an_address_does_not_make_a_new_subscriber(newsletter, signup):
    signup("Sara@Example.com")
    signup("sara@EXAMPLE.COM")
    assert Subscriber.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_posts_for_one_victim_send_one_email(postgres, settings):
    """20 clients from 20 IPs post the same address at once: one email, one subscriber."""
    NewsletterFactory()
    settings.SIGNUP_RATE_LIMIT = "off"
    barrier = threading.Barrier(20)
    statuses = []

    def post(i):
        client = Client(REMOTE_ADDR=f"198.51.100.{i + 1}")
        barrier.wait()
        response = client.post(URL, data=json.dumps({"email": "victim@example.com"}), content_type="application/json")
        statuses.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 20
    assert Subscriber.objects.count() == 1
    # Tasks run inline here, on commit: one claim won, so one email was sent.
    assert [m.to[0] for m in mail.outbox] == ["victim@example.com"]


def test_the_service_reports_whether_it_queued_an_email(newsletter, django_capture_on_commit_callbacks):
    kwargs = dict(name="", language="ar", newsletter=newsletter, ip="203.0.113.1", user_agent="", form="api", wording="w")
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriber_signup(email="s@example.com", **kwargs) is True
        assert subscriber_signup(email="s@example.com", **kwargs) is False
    assert len(mail.outbox) == 1
