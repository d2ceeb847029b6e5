"""Sources in the admin (last run, run now, category mapping) and their beat polling."""

from datetime import timedelta

import pytest
from django.utils import timezone

from newsroom.celery import app
from newsroom.models import Article, ArticleSource, SourceCategory
from newsroom.tasks import sources_import_due, sources_views_refresh
from tests.factories import ArticleSourceFactory, SectionFactory
from tests.wp_standin import POSTS, load_posts, server_error

pytestmark = pytest.mark.django_db

CHANGELIST = "/ar/admin/newsroom/articlesource/"


@pytest.fixture
def editor(client, django_user_model):
    # No password: hashing one costs ~0.7 s a test, and force_login needs none.
    user = django_user_model.objects.create(username="amal", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def wp(site):
    site.posts = load_posts()
    return site


def test_the_list_shows_each_sources_last_run_in_arabic(editor, wp):
    ok = ArticleSourceFactory(name="الأيام", url=f"{wp.url}/")
    ArticleSourceFactory(name="مصدر لم يعمل بعد")
    editor.post(CHANGELIST, {"action": "run_now", "_selected_action": [ok.pk]})

    page = editor.get(CHANGELIST).content.decode()

    assert "مصادر المقالات" in page and "النتيجة" in page  # the model and the outcome column
    assert "جديدة: 4، محدّثة: 0، أُلغي نشرها: 0، متجاهَلة: 0" in page
    assert "لم يعمل بعد" in page  # "never"


def test_a_failed_run_shows_its_error_escaped(editor, wp):
    # The error quotes the source's own words: a hostile reason phrase stays text.
    wp.faults[POSTS] = server_error(500, "<script>alert(1)</script>")
    source = ArticleSourceFactory(url=f"{wp.url}/")
    editor.post(CHANGELIST, {"action": "run_now", "_selected_action": [source.pk]})

    page = editor.get(CHANGELIST).content.decode()

    assert "فشل:" in page and "answered HTTP 500 &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


def test_run_now_imports_at_once_without_a_broker_and_says_so(editor, wp):
    source = ArticleSourceFactory(name="الأيام", url=f"{wp.url}/", enabled=False)

    response = editor.post(CHANGELIST, {"action": "run_now", "_selected_action": [source.pk]}, follow=True)

    assert "بدأ الاستيراد من: الأيام" in response.content.decode()
    assert Article.objects.filter(source=source.slug).count() == 4
    source.refresh_from_db()
    assert source.last_run_new == 4 and source.last_run_error == ""


def test_the_change_page_shows_the_category_mapping_to_re_point(editor, wp):
    source = ArticleSourceFactory(url=f"{wp.url}/")
    editor.post(CHANGELIST, {"action": "run_now", "_selected_action": [source.pk]})

    page = editor.get(f"{CHANGELIST}{source.pk}/change/").content.decode()

    assert "ثقافة وفنون" in page and "categories-TOTAL_FORMS" in page
    assert 'name="slug"' not in page  # written on every article: not editable once made


def test_re_pointing_a_category_in_the_admin_saves_the_mapping(editor, wp):
    source = ArticleSourceFactory(url=f"{wp.url}/")
    editor.post(CHANGELIST, {"action": "run_now", "_selected_action": [source.pk]})
    opinion = SectionFactory(name="رأي", slug="opinion")
    rows = list(SourceCategory.objects.filter(source=source).order_by("category"))
    form = {
        "name": source.name,
        "kind": source.kind,
        "url": source.url,
        "enabled": "on",
        "poll_minutes": 15,
        "default_section": "",
        "popularity": "none",
        "popularity_url": "",
        "categories-TOTAL_FORMS": len(rows),
        "categories-INITIAL_FORMS": len(rows),
        "categories-MIN_NUM_FORMS": 0,
        "categories-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        form |= {
            f"categories-{i}-id": row.pk,
            f"categories-{i}-source": source.pk,
            f"categories-{i}-category": row.category,
            f"categories-{i}-section": opinion.pk if row.category == "سياسة" else row.section_id,
        }

    response = editor.post(f"{CHANGELIST}{source.pk}/change/", form)

    assert response.status_code == 302
    assert SourceCategory.objects.get(source=source, category="سياسة").section == opinion


@pytest.mark.parametrize(
    "url", ["/etc/passwd", "javascript:alert(1)", "file:///etc/passwd", "alayam.example"]
)
def test_a_source_added_in_the_admin_must_have_a_web_address(editor, url):
    response = editor.post(
        f"{CHANGELIST}add/",
        {
            "name": "مصدر",
            "slug": "masdar",
            "kind": "feed",
            "url": url,
            "enabled": "on",
            "poll_minutes": 15,
            "popularity": "none",
            "categories-TOTAL_FORMS": 0,
            "categories-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "أدخل عنواناً يبدأ بـ http:// أو https://" in response.content.decode()
    assert not ArticleSource.objects.exists()


def test_beat_polls_sources_every_minute_and_views_hourly():
    schedule = app.conf.beat_schedule
    assert schedule["import-articles"] == {"task": "newsroom.tasks.sources_import_due", "schedule": 60.0}
    assert schedule["article-views"] == {"task": "newsroom.tasks.sources_views_refresh", "schedule": 3600.0}
    assert ArticleSource._meta.get_field("poll_minutes").default == 15


def test_only_enabled_sources_that_are_due_are_run(wp):
    now = timezone.now()
    never_ran = ArticleSourceFactory(url=f"{wp.url}/")
    ran_5_minutes_ago = ArticleSourceFactory(url=f"{wp.url}/", last_run_at=now - timedelta(minutes=5))
    ran_20_minutes_ago = ArticleSourceFactory(url=f"{wp.url}/", last_run_at=now - timedelta(minutes=20))
    disabled = ArticleSourceFactory(url=f"{wp.url}/", enabled=False)
    running = ArticleSourceFactory(url=f"{wp.url}/", running_since=now - timedelta(minutes=1))

    assert sources_import_due.delay().get() == 2  # inline in tests, as without a broker

    ran = set(Article.objects.values_list("source", flat=True))
    assert ran == {never_ran.slug, ran_20_minutes_ago.slug}
    assert {ran_5_minutes_ago.slug, disabled.slug, running.slug}.isdisjoint(ran)


def test_the_hourly_views_task_asks_each_source_with_a_provider(wp):
    with_provider = ArticleSourceFactory(url=f"{wp.url}/", popularity="wpp")
    without = ArticleSourceFactory(url=f"{wp.url}/")

    sources_views_refresh.delay()

    with_provider.refresh_from_db()
    without.refresh_from_db()
    assert with_provider.views_refreshed_at is not None and with_provider.views_error == ""
    assert without.views_refreshed_at is None
