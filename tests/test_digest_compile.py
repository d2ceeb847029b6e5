"""Which articles a digest picks, in which order, and that a period is compiled once."""

import logging
from datetime import timedelta

import pytest

from subscriptions.digest import digest_approve, digest_compile
from subscriptions.models import Digest, DigestItem
from tests.factories import NewsletterFactory, SectionFactory, light_section, published, slot_end

pytestmark = pytest.mark.django_db


def titles(digest, group=None):
    items = digest.items.select_related("article").order_by("position")
    if group:
        items = items.filter(group=group)
    return [i.article.title for i in items]


def test_top_stories_are_editors_picks_first_then_the_most_read():
    news = SectionFactory(slug="news")
    published(section=news, title="pick, little read", editors_pick=True, views=10)
    published(section=news, title="most read", views=1000)
    published(section=news, title="pick, well read", editors_pick=True, views=50)
    published(section=news, title="well read", views=500)
    newsletter = NewsletterFactory(top_limit=3)

    digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert titles(digest, "top") == ["pick, well read", "pick, little read", "most read"]
    # The fourth is not lost: it becomes its section's highlight.
    assert titles(digest, "section") == ["well read"]


def test_each_section_gives_at_most_its_limit_of_its_best_articles_in_section_order():
    politics = SectionFactory(slug="politics", name="سياسة", order=1)
    economy = SectionFactory(slug="economy", name="اقتصاد", order=2)
    for views in (5, 40, 30, 20, 10):
        published(section=economy, title=f"economy {views}", views=views)
    published(section=politics, title="politics 1", views=1)
    newsletter = NewsletterFactory(top_limit=0, per_section_limit=2)

    digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert titles(digest, "section") == ["politics 1", "economy 40", "economy 30"]
    sections = list(digest.items.order_by("position").values_list("section__slug", flat=True))
    assert sections == ["politics", "economy", "economy"]


def test_the_light_section_closes_the_digest_and_never_takes_a_top_spot():
    news = SectionFactory(slug="news")
    light = light_section()
    published(section=light, title="viral cat", views=99_000)
    published(section=light, title="giant kibbeh", views=50_000)
    published(section=news, title="budget passed", views=10)
    newsletter = NewsletterFactory(top_limit=5, light_limit=1)

    digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert titles(digest) == ["budget passed", "viral cat"]
    assert list(digest.items.order_by("position").values_list("group", flat=True)) == ["top", "light"]


def test_a_tight_total_keeps_top_stories_and_a_light_item_and_spreads_the_rest_over_sections():
    a = SectionFactory(slug="a", order=1)
    b = SectionFactory(slug="b", order=2)
    light = light_section()
    for i in range(4):
        published(section=a, title=f"a{i}", views=100 - i)
        published(section=b, title=f"b{i}", views=50 - i)
    published(section=light, title="light", views=1)
    newsletter = NewsletterFactory(top_limit=2, per_section_limit=3, light_limit=2, total_limit=6)

    digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert digest.items.count() == 6
    assert titles(digest, "top") == ["a0", "a1"]
    # Round-robin: each section's best (a2, b0) before any section's second (a3, not
    # b1: a comes first in section order); shown grouped by section.
    assert titles(digest, "section") == ["a2", "a3", "b0"]
    assert titles(digest, "light") == ["light"]


def test_equal_rank_is_broken_by_newest_then_id_so_the_order_is_always_the_same():
    news = SectionFactory(slug="news")
    older = published(section=news, title="older", views=7, days_before=3)
    newer = published(section=news, title="newer", views=7, days_before=1)
    same_time = published(section=news, title="same time, later id", views=7, days_before=1)
    same_time.published_at = newer.published_at
    same_time.save()
    newsletter = NewsletterFactory(top_limit=3)

    digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert titles(digest, "top") == ["same time, later id", "newer", "older"]
    assert older.pk < newer.pk < same_time.pk


def test_only_articles_published_in_the_seven_days_before_the_end_are_candidates():
    news = SectionFactory(slug="news")
    published(section=news, title="inside", days_before=6.9)
    published(section=news, title="too old", days_before=7.1)
    published(section=news, title="after the end", days_before=-0.1)
    published(section=news, title="a draft", status="draft")

    digest = digest_compile(newsletter=NewsletterFactory(), period_end=slot_end())

    assert titles(digest) == ["inside"]


def test_articles_already_sent_in_an_earlier_digest_of_the_newsletter_are_skipped():
    news = SectionFactory(slug="news")
    newsletter = NewsletterFactory()
    sent_before = published(section=news, title="sent last week", days_before=8)
    published(section=news, title="new this week", days_before=1)
    earlier = digest_compile(newsletter=newsletter, period_end=slot_end() - timedelta(days=3))
    assert titles(earlier) == ["sent last week", "new this week"][: earlier.items.count()]
    digest_approve(digest=earlier)
    Digest.objects.filter(pk=earlier.pk).update(status=Digest.Status.SENT)
    # Another newsletter's digest does not hide articles from this one.
    other = digest_compile(newsletter=NewsletterFactory(slug="other"), period_end=slot_end())
    assert "sent last week" not in titles(other)

    digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert "new this week" in titles(digest)
    assert sent_before.title not in titles(digest)
    assert not set(titles(digest)) & set(titles(earlier))


def test_a_draft_that_never_went_out_does_not_use_up_its_articles():
    news = SectionFactory(slug="news")
    published(section=news, title="story", days_before=1)
    newsletter = NewsletterFactory()
    draft = digest_compile(newsletter=newsletter, period_end=slot_end() - timedelta(hours=1))

    digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert draft.pk != digest.pk
    assert titles(digest) == titles(draft) == ["story"]


def test_a_week_with_nothing_published_makes_no_digest_and_says_so(caplog):
    published(section=SectionFactory(slug="news"), title="long ago", days_before=30)

    with caplog.at_level(logging.INFO, logger="subscriptions.digest"):
        digest = digest_compile(newsletter=NewsletterFactory(), period_end=slot_end())

    assert digest is None
    assert not Digest.objects.exists()
    assert any("nothing new published" in r.getMessage() for r in caplog.records)


def test_compiling_the_same_period_again_returns_the_same_digest():
    news = SectionFactory(slug="news")
    published(section=news, title="first")
    newsletter = NewsletterFactory()
    first = digest_compile(newsletter=newsletter, period_end=slot_end())
    # Even when more was published since: the digest is made once, then curated.
    published(section=news, title="late")

    again = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert again.pk == first.pk
    assert Digest.objects.count() == 1
    assert titles(again) == ["first"]


def test_subject_carries_the_newsletter_name_and_the_week_in_arabic_month_names():
    published(section=SectionFactory(slug="news"))
    standard = NewsletterFactory(subject_template="{name}: {dates}")
    levantine = NewsletterFactory(slug="levant", name="نشرة الشام", month_names="levantine")

    a = digest_compile(newsletter=standard, period_end=slot_end())
    b = digest_compile(newsletter=levantine, period_end=slot_end())

    # 09:00 Thursday 19 Nov to 09:00 Thursday 26 Nov.
    assert a.subject == "الأيام في هذا الأسبوع: 19–26 نوفمبر 2026"
    assert b.subject == "نشرة الشام · 19–26 تشرين الثاني 2026"
    assert a.slug == "this-week-2026-11-26" and a.period_start == slot_end() - timedelta(days=7)


def test_compile_reads_a_bounded_number_of_queries_however_many_articles(django_assert_max_num_queries):
    sections = [SectionFactory(slug=f"s{i}", order=i) for i in range(6)]
    for i in range(60):
        published(section=sections[i % 6], views=i)
    newsletter = NewsletterFactory(per_section_limit=5)

    with django_assert_max_num_queries(9):
        digest = digest_compile(newsletter=newsletter, period_end=slot_end())

    assert digest.items.count() == newsletter.total_limit
    assert DigestItem.objects.filter(digest=digest).values("article").distinct().count() == 25
