import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from newsroom.models import Article, Section
from subscriptions.models import Newsletter, Subscriber, Subscription

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def printed_password(output: str) -> str:
    return re.search(r"staff login: editor / (\S+)", output).group(1)


def test_seed_makes_this_weeks_arabic_articles_in_sections():
    seed()
    week_ago = timezone.now() - timedelta(days=7)
    articles = Article.objects.filter(status="published", published_at__gte=week_ago)
    assert articles.count() >= 20
    assert Section.objects.filter(articles__in=articles).distinct().count() >= 5
    assert Section.objects.filter(kind=Section.Kind.LIGHT, articles__in=articles).exists()
    assert all(re.search(r"[\u0600-\u06FF]", a.title) for a in articles)
    assert articles.filter(editors_pick=True).exists()


def test_seed_makes_one_newsletter_and_a_working_staff_login():
    output = seed()
    newsletter = Newsletter.objects.get()
    assert newsletter.name == "الأيام في هذا الأسبوع" and newsletter.language == "ar"
    user = authenticate(username="editor", password=printed_password(output))
    assert user is not None and user.is_staff


def test_seed_is_idempotent():
    seed()
    counts = (Article.objects.count(), Section.objects.count(), Newsletter.objects.count())
    output = seed()
    assert (Article.objects.count(), Section.objects.count(), Newsletter.objects.count()) == counts
    # The newest printed password is the one that works.
    assert authenticate(username="editor", password=printed_password(output)) is not None


def test_subscribers_flag_makes_exactly_n_confirmed_subscribed_readers():
    seed("--subscribers", "250")
    seed("--subscribers", "250")
    demo = Subscriber.objects.filter(source="demo")
    assert demo.count() == 250
    assert demo.filter(status="confirmed").count() == 250
    assert Subscription.objects.filter(status="subscribed", subscriber__in=demo).count() == 250
    assert len(set(demo.values_list("email", flat=True))) == 250


def test_growing_the_demo_list_adds_only_the_missing_readers():
    seed("--subscribers", "100")
    output = seed("--subscribers", "300")
    assert "(200 new)" in output
    assert Subscriber.objects.filter(source="demo").count() == 300


def test_a_negative_count_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="0 or more"):
        seed("--subscribers", "-1")


def test_seed_leaves_this_weeks_digest_for_the_editors_and_last_weeks_in_the_archive(client):
    from subscriptions.models import Digest

    output = seed()
    seed()  # the same day again: no more digests

    current = Digest.objects.get(status=Digest.Status.DRAFT)
    sent = Digest.objects.get(status=Digest.Status.SENT)
    assert Digest.objects.count() == 2
    assert current.items.count() >= 15 and current.period_end > sent.period_end
    assert not set(current.items.values_list("article", flat=True)) & set(sent.items.values_list("article", flat=True))
    assert f"/admin/subscriptions/digest/{current.pk}/change/" in output
    page = client.get(f"/ar/archive/{sent.slug}/")
    assert page.status_code == 200 and "منتخب الشباب" in page.content.decode()
    assert sent.subject in client.get("/ar/").content.decode()
