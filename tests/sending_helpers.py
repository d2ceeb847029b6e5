"""Digests ready to send, with a crowd of readers, for the sending tests."""

import re
from collections import Counter
from datetime import timedelta

from subscriptions import tokens
from subscriptions.demo import DEMO_DOMAIN, seed_subscribers
from subscriptions.digest import digest_approve, digest_compile
from subscriptions.models import Subscriber, Subscription
from tests.factories import NewsletterFactory, SectionFactory, published, slot_end


def approved_digest(*, readers: int, newsletter=None, weeks_later: int = 0):
    """An approved digest of one newsletter with ``readers`` confirmed, subscribed readers
    (reader1..N@readers.nashra.example, Arabic names, made in bulk)."""
    newsletter = newsletter or NewsletterFactory()
    end = slot_end() + timedelta(weeks=weeks_later)
    published(section=SectionFactory(slug="sports", name="رياضة"), title="المنتخب يتأهل", end=end)
    published(section=SectionFactory(slug="economy", name="اقتصاد"), title="المصرف يثبت الفائدة", end=end)
    digest = digest_approve(digest=digest_compile(newsletter=newsletter, period_end=end))
    if readers:
        seed_subscribers(newsletter=newsletter, count=readers)
    return digest


def reader_email(i: int) -> str:
    return f"reader{i}@{DEMO_DOMAIN}"


def make_ineligible(newsletter):
    """One reader of each kind that must get nothing: unsubscribed, bounced, complained,
    pending, and a confirmed reader of another newsletter only."""
    other = NewsletterFactory(slug="other", name="أخرى")
    emails = {}
    for status in ("unsubscribed", "bounced", "complained", "pending"):
        subscriber = Subscriber.objects.create(email=f"{status}@example.com", name=status, status=status)
        Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
        emails[status] = subscriber.email
    left = Subscriber.objects.create(email="left-list@example.com", status="confirmed")
    Subscription.objects.create(subscriber=left, newsletter=newsletter, status="unsubscribed")
    elsewhere = Subscriber.objects.create(email="elsewhere@example.com", status="confirmed")
    Subscription.objects.create(subscriber=elsewhere, newsletter=other)
    return {*emails.values(), left.email, elsewhere.email}


UNSUBSCRIBE = re.compile(r"<https?://[^/]+/unsubscribe/([^/>]+)/>")


def unsubscribe_owner(list_unsubscribe: str) -> tuple[int, int]:
    """(subscriber id, newsletter id) named by a List-Unsubscribe header's token."""
    return tokens.read_unsubscribe_token(UNSUBSCRIBE.fullmatch(list_unsubscribe).group(1))


def copies_per_address(delivered) -> Counter:
    return Counter(m.to for m in delivered)
