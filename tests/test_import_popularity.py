"""Views from each popularity provider, served by the local stand-in, and the ranking
the digest reads: editors' picks, then views, then Nashra's own clicks, then newest."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsroom.models import Article, ArticleSource
from newsroom.selectors import articles_ranked, articles_ranked_between
from newsroom.sources import source_import, source_views_refresh
from tests.factories import ArticleFactory, ArticleSourceFactory
from tests.wp_standin import load_posts

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WEEK = {"start": NOW - timedelta(days=7), "end": NOW}
# Post id → the week's views, as every provider below reports them.
VIEWS = {1203: 5200, 1201: 310, 1204: 20}
EXPECTED_ORDER = [1203, 1201, 1204, 1202]  # 1202: not listed, so 0 views


def imported(site, **source_fields) -> ArticleSource:
    site.posts = load_posts()
    source = ArticleSourceFactory(url=f"{site.url}/", **source_fields)
    assert source_import(source_id=source.pk, now=NOW).new == 4
    return source


def ranked_post_ids(**kwargs) -> list[int]:
    return [int(a.external_id) for a in articles_ranked_between(**WEEK, **kwargs)]


def csv_body(site) -> bytes:
    link = {p["id"]: p["link"] for p in site.posts}
    return ("url,views\n" + "".join(f"{link[i]},{v}\n" for i, v in VIEWS.items())).encode()


PROVIDERS = {
    "wordpress-popular-posts": ("wpp", lambda site: site.wpp.update(VIEWS)),
    "post-views-counter": ("pvc", lambda site: site.pvc.update(VIEWS)),
    "csv-by-url": ("url", lambda site: site.serve_file("/views.csv", csv_body(site), "text/csv")),
    "json-by-id": (
        "url",
        lambda site: site.serve_file(
            "/views.json", b'{"1203": 5200, "1201": "310", "1204": 20}', "application/json"
        ),
    ),
}


@pytest.mark.parametrize("name", PROVIDERS)
def test_each_provider_writes_the_weeks_views_and_the_ranking_follows_them(site, name):
    kind, serve = PROVIDERS[name]
    path = {"csv-by-url": "/views.csv", "json-by-id": "/views.json"}.get(name, "")
    source = imported(site, popularity=kind, popularity_url=f"{site.url}{path}" if path else "")
    serve(site)

    listed = source_views_refresh(source_id=source.pk, now=NOW)

    assert listed == (4 if kind == "pvc" else 3)  # Post Views Counter is asked about every post
    views = dict(Article.objects.values_list("external_id", "views"))
    assert views == {"1203": 5200, "1201": 310, "1204": 20, "1202": 0}
    assert ranked_post_ids() == EXPECTED_ORDER
    source.refresh_from_db()
    assert source.views_refreshed_at == NOW and source.views_error == ""


def test_wordpress_popular_posts_is_asked_for_the_last_7_days_by_views(site):
    source = imported(site, popularity="wpp")
    site.wpp.update(VIEWS)
    source_views_refresh(source_id=source.pk, now=NOW)
    query = site.requests_to("/wp-json/wordpress-popular-posts/v1/popular-posts")[0]["query"]
    assert (query["range"], query["order_by"]) == ("last7days", "views")


def test_post_views_counter_is_asked_once_per_article_of_the_week_even_from_a_feed(site):
    # A feed's guid ("https://site/?p=1201") still names the WordPress post.
    site.serve_file("/feed/", Path("tests/data/feed.xml").read_bytes())
    source = ArticleSourceFactory(kind="feed", url=f"{site.url}/feed/", popularity="pvc")
    source_import(source_id=source.pk, now=NOW)
    site.pvc.update(VIEWS)

    source_views_refresh(source_id=source.pk, now=NOW)

    asked = sorted(r["path"].rsplit("/", 1)[-1] for r in site.requests if "post-views-counter" in r["path"])
    assert asked == ["1201", "1202", "1203", "1204"]
    assert Article.objects.get(external_id="https://alayam.example/?p=1203").views == 5200


def test_views_are_a_snapshot_an_article_no_longer_listed_drops_to_zero(site):
    source = imported(site, popularity="wpp")
    site.wpp.update(VIEWS)
    source_views_refresh(source_id=source.pk, now=NOW)
    site.wpp.clear()
    site.wpp[1202] = 75

    source_views_refresh(source_id=source.pk, now=NOW + timedelta(hours=1))

    assert dict(Article.objects.values_list("external_id", "views")) == {
        "1203": 0,
        "1201": 0,
        "1204": 0,
        "1202": 75,
    }


def test_a_provider_that_fails_keeps_the_old_views_and_says_why(site):
    source = imported(site, popularity="url", popularity_url=f"{site.url}/views.csv")
    site.serve_file("/views.csv", csv_body(site), "text/csv")
    source_views_refresh(source_id=source.pk, now=NOW)
    site.serve_file("/views.csv", b"date,visitors\n2026-11-28,4000\n", "text/csv")

    assert source_views_refresh(source_id=source.pk, now=NOW) is None

    source.refresh_from_db()
    assert "no rows with an id or url and a number of views" in source.views_error
    assert Article.objects.get(external_id="1203").views == 5200


def test_editors_picks_rank_above_views_views_above_own_clicks_and_clicks_above_newest():
    day = timedelta(days=1)
    pick = ArticleFactory(editors_pick=True, views=0, published_at=NOW - 6 * day)
    viewed = ArticleFactory(views=900, published_at=NOW - 5 * day)
    viewed_and_clicked = ArticleFactory(views=900, published_at=NOW - 6 * day)
    clicked = ArticleFactory(views=0, published_at=NOW - 4 * day)
    newest = ArticleFactory(views=0, published_at=NOW - day)
    older = ArticleFactory(views=0, published_at=NOW - 3 * day)
    clicks = {viewed_and_clicked.pk: 3, clicked.pk: 40}

    ranked = articles_ranked_between(**WEEK, clicks=clicks)

    assert ranked == [pick, viewed_and_clicked, viewed, clicked, newest, older]
    # Without Nashra's clicks (none collected yet), newest breaks the ties.
    assert articles_ranked([clicked, newest, older]) == [newest, older, clicked]


def test_the_ranking_reads_only_the_weeks_published_articles():
    inside = ArticleFactory(published_at=NOW - timedelta(days=2))
    ArticleFactory(published_at=NOW - timedelta(days=8), views=10_000)
    ArticleFactory(published_at=NOW - timedelta(days=1), status=Article.Status.DRAFT, editors_pick=True)
    assert articles_ranked_between(**WEEK) == [inside]
