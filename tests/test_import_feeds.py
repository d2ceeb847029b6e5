"""RSS 2.0 and Atom import, served with ETag/Last-Modified by the local stand-in
(tests/wp_standin.py) from tests/data/feed.xml and tests/data/atom.xml."""

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from newsroom.models import Article, ArticleSource
from newsroom.sources import source_import
from tests.factories import ArticleSourceFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
RSS = (DATA / "feed.xml").read_text(encoding="utf-8")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)  # the day after the fixtures' newest entry
ATOM = (DATA / "atom.xml").read_text(encoding="utf-8")


def feed_source(site, body: str, path: str = "/feed/") -> ArticleSource:
    site.serve_file(path, body.encode())
    return ArticleSourceFactory(kind=ArticleSource.Kind.FEED, url=site.url + path)


def run(source):
    result = source_import(source_id=source.pk, now=NOW)
    source.refresh_from_db()
    return result


def article(source, guid) -> Article:
    return Article.objects.select_related("section").get(source=source.slug, external_id=guid)


def without_item(feed: str, guid: str) -> str:
    """The feed with the <item> whose guid is ``guid`` taken out."""
    start = feed.index(guid)
    return feed[: feed.rindex("<item>", 0, start)] + feed[feed.index("</item>", start) + len("</item>") :]


def test_an_rss_feed_becomes_plain_text_arabic_articles(site):
    source = feed_source(site, RSS)
    result = run(source)

    assert (result.new, result.skipped, result.error) == (4, 0, "")
    cat = article(source, "https://alayam.example/?p=1203")
    assert cat.title == "قطّ يعود إلى منزله بعد رحلة استمرت ثلاثة أشهر"
    assert cat.summary == "فوجئت العائلة بعودة قطها الذي قطع عشرات الكيلومترات “سليماً”."
    assert cat.image_url == "https://alayam.example/wp-content/uploads/2026/11/cat.jpg"  # the enclosure
    assert cat.section.name == "منوعات وطرائف"  # the first category
    assert cat.author == "ريم الحسن"
    assert cat.published_at == datetime(2026, 11, 27, 13, 45, tzinfo=UTC)
    assert cat.slug == "قط-يعود"
    theatre = article(source, "https://alayam.example/?p=1204")
    # Only the excerpt: not the SEO plugin's "The post … appeared first on …" after it.
    assert theatre.summary == "تشارك في دورة هذا العام عشرون فرقة محلية وعربية…"
    assert theatre.image_url.endswith("theatre-festival-1024x576.jpg")  # media:content
    assert (
        article(source, "https://alayam.example/?p=1202").title
        == "أسعار الخضار & الفواكه ترتفع مع بداية الشتاء"
    )


def test_an_atom_feed_becomes_plain_text_arabic_articles(site):
    source = feed_source(site, ATOM, "/technology/atom.xml")
    assert run(source).new == 3

    ai = article(source, "tag:alayam.example,2026:article-3001")
    assert ai.title == "جامعة دمشق تطلق برنامجاً للذكاء الاصطناعي"  # type="html": markup gone
    assert ai.summary == "يقبل البرنامج خمسين طالباً في دفعته الأولى العام المقبل."
    assert ai.section.name == "علوم وتكنولوجيا"  # the category's label, not its term
    assert ai.image_url == "https://alayam.example/media/ai-programme.jpg"  # media:thumbnail
    assert ai.published_at == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # +03:00 read right
    towns = article(source, "tag:alayam.example,2026:article-3003")
    assert towns.title == "شبكة الجيل الرابع تصل إلى عشرين بلدة جديدة"  # type="xhtml"
    assert towns.summary == "أعلنت الشركة المشغّلة خطة لتغطية الريف بالكامل خلال عامين & أكثر."


def test_an_unchanged_feed_answers_304_and_nothing_is_read_or_written(site):
    source = feed_source(site, RSS)
    run(source)
    assert source.etag and source.last_modified
    updated_at = {a.pk: a.updated_at for a in Article.objects.all()}

    result = run(source)

    sent = site.requests_to("/feed/")[-1]["headers"]
    assert sent["If-None-Match"] == source.etag and sent["If-Modified-Since"] == source.last_modified
    assert result.not_modified and (result.new, result.updated, result.error) == (0, 0, "")
    assert source.last_run_error == "" and source.last_run_new == 0
    assert {a.pk: a.updated_at for a in Article.objects.all()} == updated_at


def test_a_changed_feed_updates_its_articles_without_duplicates(site):
    source = feed_source(site, RSS)
    run(source)
    site.serve_file("/feed/", RSS.replace("قطّ يعود إلى منزله", "قطّة تعود إلى منزلها").encode())

    result = run(source)

    assert (result.new, result.updated, result.not_modified) == (0, 1, False)
    assert Article.objects.filter(source=source.slug).count() == 4
    assert article(source, "https://alayam.example/?p=1203").title.startswith("قطّة تعود إلى منزلها")


def test_an_entry_taken_down_from_the_feed_becomes_a_draft_but_one_that_rolled_off_does_not(site):
    source = feed_source(site, RSS)
    run(source)
    # 1203 vanished from between newer and older entries: taken down. 1201, the oldest,
    # left the bottom of the feed as feeds do: nothing to conclude.
    shorter = without_item(without_item(RSS, "?p=1203"), "?p=1201")
    site.serve_file("/feed/", shorter.encode())

    result = run(source)

    assert result.unpublished == 1
    assert article(source, "https://alayam.example/?p=1203").status == Article.Status.DRAFT
    assert article(source, "https://alayam.example/?p=1201").status == Article.Status.PUBLISHED


def test_hostile_entries_are_skipped_and_markup_never_survives(site):
    hostile = RSS.replace(
        "<item>",
        """<item>
		<title>رابط خبيث</title><link>javascript:alert(document.cookie)</link><guid>evil-1</guid>
	</item>
	<item>
		<title></title><link>https://alayam.example/untitled/</link><guid>evil-2</guid>
	</item>
	<item>
		<title><![CDATA[<img src=x onerror=alert(1)>عنوان <b>عريض</b> <style>body{}</style>]]></title>
		<link>https://alayam.example/bold/</link><guid>evil-3</guid>
		<description><![CDATA[<script>alert(1)</script><iframe src="https://evil.example/"></iframe>نص الخبر]]></description>
	</item>
	<item>""",
        1,
    )
    source = feed_source(site, hostile)

    result = run(source)

    assert (result.new, result.skipped) == (5, 2)
    assert source.last_run_skipped == 2
    bold = article(source, "evil-3")
    assert (bold.title, bold.summary) == ("عنوان عريض", "نص الخبر")
    assert not Article.objects.filter(url__startswith="javascript:").exists()


def test_import_articles_reads_a_local_feed_file_as_make_demo_does():
    out = StringIO()
    call_command("import_articles", "tests/data/feed.xml", stdout=out)
    call_command("import_articles", "tests/data/feed.xml", stdout=out)

    source = ArticleSource.objects.get()
    assert (source.kind, source.enabled, source.slug) == (ArticleSource.Kind.FEED, False, "feed-xml")
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("4 new, 0 updated, 0 unpublished, 0 skipped")
    assert lines[1].startswith("saved as source «feed-xml», disabled for beat")
    assert lines[2].endswith("0 new, 0 updated, 0 unpublished, 0 skipped")  # the same file again
    assert Article.objects.filter(status="published").count() == 4


def test_import_articles_finds_the_feed_a_web_page_links_to(site):
    site.serve_file("/feed/", RSS.encode())
    site.serve_file(
        "/news/",
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>',
        "text/html",
    )
    out = StringIO()
    call_command("import_articles", f"{site.url}/news/", stdout=out)

    source = ArticleSource.objects.get()
    assert (source.kind, source.url) == (ArticleSource.Kind.FEED, f"{site.url}/feed/")
    assert "4 new" in out.getvalue()
