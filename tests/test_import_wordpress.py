"""WordPress REST import against a local stand-in of the site (tests/wp_standin.py),
fed a real posts response with ``_embed`` (tests/data/wp_posts.json)."""

import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from newsroom.importers.wordpress import api_url
from newsroom.models import Article, ArticleSource, Section, SourceCategory
from newsroom.sources import source_import
from tests.factories import ArticleSourceFactory, SectionFactory
from tests.wp_standin import POSTS, load_posts, many_posts

pytestmark = pytest.mark.django_db

# The fixture's posts are from 25–28 November 2026; runs happen "the next day".
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def wp(site):
    site.posts = load_posts()
    return site


@pytest.fixture
def source(wp):
    return ArticleSourceFactory(kind=ArticleSource.Kind.WORDPRESS, url=f"{wp.url}/")


def run(source, **kwargs):
    result = source_import(source_id=source.pk, now=kwargs.pop("now", NOW), **kwargs)
    source.refresh_from_db()
    return result


def article(source, post_id) -> Article:
    return Article.objects.select_related("section").get(source=source.slug, external_id=str(post_id))


def touch(post: dict, *, at: datetime = NOW - timedelta(hours=1), **changes):
    """Edit a post the way WordPress does: the fields, and its modified date."""
    post.update(changes)
    post["modified_gmt"] = at.isoformat()[:19]


def change_requests(site) -> list[dict]:
    """The queries that asked for changes (not the deletion checks, which use include=)."""
    return [r["query"] for r in site.requests_to(POSTS) if "include" not in r["query"]]


def post(site, post_id) -> dict:
    return next(p for p in site.posts if p["id"] == post_id)


def test_an_import_creates_plain_text_arabic_articles_with_image_author_and_section(wp, source):
    result = run(source)

    assert (result.new, result.updated, result.error) == (4, 0, "")
    budget = article(source, 1201)
    assert budget.title == "البرلمان يقرّ قانون الموازنة العامة “بعد جلسة مطوّلة”"
    assert (
        budget.summary == "صوّت النواب بالأغلبية على مشروع الموازنة بعد نقاش استمر حتى ساعة متأخرة من الليل…"
    )
    assert budget.url.startswith("https://alayam.example/2026/11/25/")
    assert budget.slug == "البرلمان-يقر-قانون-الموازنة"
    assert (
        budget.image_url == "https://alayam.example/wp-content/uploads/2026/11/parliament-budget-1024x576.jpg"
    )
    assert budget.author == "ريم الحسن"
    assert budget.published_at == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    assert budget.status == Article.Status.PUBLISHED
    assert budget.section.name == "سياسة"
    # Markup and scripts in titles are gone, entities are characters again.
    assert article(source, 1204).title == "مهرجان المسرح يعود بعد غياب خمس سنوات"
    assert article(source, 1203).title == "قطّ يعود إلى منزله بعد رحلة استمرت ثلاثة أشهر"
    assert article(source, 1202).author == "سامر & فريق الاقتصاد"
    # A private featured image (WordPress embeds an error object) is simply no image.
    assert article(source, 1203).image_url == ""
    assert source.last_run_new == 4 and source.last_run_error == "" and source.last_success_at == NOW


def test_the_request_asks_for_changes_oldest_first_with_embeds_and_only_the_fields_used(wp, source):
    run(source)
    query = change_requests(wp)[0]
    assert query["orderby"] == "modified" and query["order"] == "asc" and query["per_page"] == "100"
    assert {"wp:featuredmedia", "wp:term", "author"} <= set(query["_embed"].split(","))
    assert {"_links", "_embedded", "title", "excerpt", "link", "modified_gmt"} <= set(
        query["_fields"].split(",")
    )
    assert "modified_after" not in query  # the first run reads everything


def test_categories_map_to_sections_and_unknown_ones_create_a_section(wp, source):
    politics = SectionFactory(name="سياسة", slug="politics")
    run(source)

    assert article(source, 1201).section == politics  # same name: the existing section
    assert article(source, 1202).section.name == "اقتصاد"  # the post's first category
    # WordPress's "Uncategorized" loses to a real category.
    assert article(source, 1204).section.name == "ثقافة وفنون"
    assert Section.objects.filter(name="سياسة").count() == 1
    mapping = dict(SourceCategory.objects.filter(source=source).values_list("category", "section__name"))
    assert mapping == {
        "سياسة": "سياسة",
        "اقتصاد": "اقتصاد",
        "منوعات وطرائف": "منوعات وطرائف",
        "ثقافة وفنون": "ثقافة وفنون",
    }


def test_re_pointing_a_category_in_the_mapping_moves_the_next_imports(wp, source):
    run(source)
    opinion = SectionFactory(name="رأي", slug="opinion")
    SourceCategory.objects.filter(source=source, category="سياسة").update(section=opinion)
    touch(post(wp, 1201), title={"rendered": "البرلمان يقرّ الموازنة"})

    run(source, now=NOW + timedelta(minutes=15))

    assert article(source, 1201).section == opinion


def test_a_re_import_after_an_edit_updates_the_article_and_never_duplicates_it(wp, source):
    run(source)
    cursor = source.modified_after
    assert cursor == datetime(2026, 11, 28, 17, 20, tzinfo=UTC)  # the newest change seen
    touch(post(wp, 1202), title={"rendered": "أسعار الخضار تتراجع بعد موجة ارتفاع"})

    result = run(source, now=NOW + timedelta(minutes=15))

    assert (result.new, result.updated) == (0, 1)
    assert Article.objects.filter(source=source.slug).count() == 4
    assert article(source, 1202).title == "أسعار الخضار تتراجع بعد موجة ارتفاع"
    # Only what changed since the last run was asked for (one second of overlap).
    asked = change_requests(wp)[-1]["modified_after"]
    assert datetime.fromisoformat(asked) == cursor - timedelta(seconds=1)
    assert source.modified_after == NOW - timedelta(hours=1)

    again = run(source, now=NOW + timedelta(minutes=30))
    assert (again.new, again.updated) == (0, 0)


def test_a_post_deleted_or_put_back_to_draft_becomes_a_draft_and_can_come_back(wp, source):
    run(source)
    wp.posts = [p for p in wp.posts if p["id"] != 1203]  # deleted (or trashed, or private)
    post(wp, 1202)["status"] = "draft"  # unpublished: the public API stops listing it

    result = run(source, now=NOW + timedelta(minutes=15))

    assert result.unpublished == 2 and source.last_run_deleted == 2
    assert article(source, 1203).status == article(source, 1202).status == Article.Status.DRAFT
    assert article(source, 1201).status == Article.Status.PUBLISHED
    # The published articles it holds were checked (1204 came back in the changes).
    checked = wp.requests_to(POSTS)[-1]["query"]
    assert set(checked["include"].split(",")) == {"1201", "1202", "1203"}

    touch(post(wp, 1202), status="publish")
    back = run(source, now=NOW + timedelta(minutes=30))
    assert back.updated == 1 and article(source, 1202).status == Article.Status.PUBLISHED


def test_only_recent_articles_are_checked_for_deletion(wp, source, settings):
    settings.IMPORT_RECONCILE_DAYS = 1  # from 28 Nov 12:00: only post 1204 is that recent
    run(source)
    wp.posts = [p for p in wp.posts if p["id"] not in (1203, 1204)]

    result = run(source)

    assert result.unpublished == 1
    assert article(source, 1204).status == Article.Status.DRAFT
    assert article(source, 1203).status == Article.Status.PUBLISHED  # older: not checked


def test_ten_thousand_posts_arrive_page_by_page_and_the_backlog_continues_in_the_next_runs(site):
    site.posts = many_posts(10_000)
    source = ArticleSourceFactory(url=f"{site.url}/")
    out = StringIO()

    started = time.monotonic()
    call_command("import_articles", source.slug, stdout=out)
    elapsed = time.monotonic() - started

    assert Article.objects.filter(source=source.slug, status="published").count() == 10_000
    assert "10000 new, 0 updated" in out.getvalue()
    pages = change_requests(site)
    # 100 posts a page, as X-WP-TotalPages says; at most 50 pages a run (IMPORT_MAX_PAGES).
    # The second run resumed at the first one's last post (asked again: one second of
    # overlap), so a third run fetched the very last post.
    assert len(pages) == 101
    assert "modified_after" not in pages[0]
    assert pages[50]["modified_after"] == "2024-01-04T11:18:59+00:00" and pages[50]["page"] == "1"
    print(f"\n10,000 posts imported in {elapsed:.1f}s")


def test_a_capped_run_commits_its_pages_and_the_task_continues_at_once(site, settings):
    from newsroom.tasks import source_import as source_import_task

    settings.IMPORT_MAX_PAGES = 1
    site.posts = many_posts(250)
    source = ArticleSourceFactory(url=f"{site.url}/")

    first = run(source)
    assert (first.new, first.more) == (100, True)
    assert Article.objects.filter(source=source.slug).count() == 100

    source_import_task.delay(source.pk)  # inline in tests; it queues itself again while more remain
    assert Article.objects.filter(source=source.slug).count() == 250


def test_posts_that_shift_between_pages_mid_run_are_asked_for_again(site, source):
    site.posts = many_posts(150)

    def edit_a_read_post_before_page_2(handler, query):
        if query.get("page") == "2":
            touch(site.posts[0])  # post 0 jumps to the end; post 100 slides onto page 1
        return False

    site.faults[POSTS] = edit_a_read_post_before_page_2
    first = run(source)
    assert first.new == 149  # one post was never on a page we read…
    assert source.modified_after is None  # …so the cursor did not move

    del site.faults[POSTS]
    second = run(source, now=NOW + timedelta(minutes=15))
    assert second.new == 1 and Article.objects.filter(source=source.slug).count() == 150


def test_import_articles_recognises_a_wordpress_site_by_its_home_page(wp):
    out = StringIO()
    call_command("import_articles", f"{wp.url}/", stdout=out)

    source = ArticleSource.objects.get()
    assert source.kind == ArticleSource.Kind.WORDPRESS and not source.enabled
    assert "4 new, 0 updated, 0 unpublished, 0 skipped" in out.getvalue()

    call_command("import_articles", source.slug, stdout=out)
    assert "0 new, 0 updated" in out.getvalue().splitlines()[-1]
    assert Article.objects.count() == 4


def test_import_articles_reads_a_saved_posts_response_from_a_file():
    out = StringIO()
    call_command("import_articles", "tests/data/wp_posts.json", stdout=out)
    assert ArticleSource.objects.get().kind == ArticleSource.Kind.WORDPRESS
    assert Article.objects.filter(title="البرلمان يقرّ قانون الموازنة العامة “بعد جلسة مطوّلة”").exists()


@pytest.mark.parametrize(
    "given, expected",
    [
        ("https://alayam.example/", ("https://alayam.example/wp-json/wp/v2/posts", {})),
        ("https://alayam.example", ("https://alayam.example/wp-json/wp/v2/posts", {})),
        ("https://alayam.example/ar/wp-json/", ("https://alayam.example/ar/wp-json/wp/v2/posts", {})),
        ("https://alayam.example/wp-json/wp/v2/posts", ("https://alayam.example/wp-json/wp/v2/posts", {})),
        ("https://alayam.example/?rest_route=/", ("https://alayam.example/", {"rest_route": "/wp/v2/posts"})),
    ],
)
def test_the_rest_address_is_found_from_any_address_of_the_site(given, expected):
    assert api_url(given, "wp/v2/posts") == expected
