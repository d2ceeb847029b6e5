"""Where the site's page views come from: one provider per ``ArticleSource.Popularity``.

A provider reads and returns ``{key: views}``, the key being an article's external id
(the WordPress post id) or its URL; ``newsroom.services.source_views_refresh`` writes
``Article.views`` from it. Nashra's own clicks are not a provider: they are passed to
``newsroom.selectors.articles_ranked`` by whoever counts them.
"""

import csv
import io
import json
import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from newsroom.importers import http
from newsroom.importers.base import ImportFailed
from newsroom.importers.wordpress import api_url

WEEK = timedelta(days=7)
WPP_LIMIT = 500  # the week's most read posts; the rest count as 0
ID_KEYS = ("external_id", "id", "post_id", "url", "link")
VIEW_KEYS = ("views", "pageviews", "count")
MAX_VIEWS = 2**31 - 1  # Article.views is a PositiveIntegerField
WP_POST_ID = re.compile(r"[?&]p=(\d+)")


def site_url(source) -> str:
    """The WordPress site behind a source: its popularity URL if set, else the scheme
    and host of its address (a REST root or a feed on the same site)."""
    if source.popularity_url:
        return source.popularity_url
    parts = urlsplit(source.url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def wordpress_popular_posts(source, articles, *, now: datetime) -> dict[str, int]:
    """The WordPress Popular Posts plugin's own endpoint, views over the last 7 days.
    https://github.com/cabrerahector/wordpress-popular-posts (src/Rest/PostsEndpoint.php)"""
    endpoint, params = api_url(site_url(source), "wordpress-popular-posts/v1/popular-posts")
    params |= {"range": "last7days", "order_by": "views", "limit": WPP_LIMIT, "_fields": "id,link,pageviews"}
    posts = json_body(http.fetch(endpoint, params=params), where=endpoint)
    if not isinstance(posts, list):
        raise ImportFailed(f"{endpoint}: expected a JSON list of popular posts")
    views = {}
    for post in posts:
        if isinstance(post, dict) and (count := as_views(post.get("pageviews"))) is not None:
            views[str(post.get("id"))] = count
            if isinstance(post.get("link"), str):
                views[post["link"]] = count
    return views


def post_views_counter(source, articles, *, now: datetime) -> dict[str, int]:
    """The Post Views Counter plugin: ``/post-views-counter/get-post-views/<id>`` answers
    one post's count (a list of ids would answer their sum), so one request per article
    of the past week. Its public endpoint counts all-time views; for a week-old article
    that is its week.
    https://github.com/dfactoryplugins/post-views-counter (includes/class-counter.php)"""
    views = {}
    for article in articles:
        if article.published_at and article.published_at < now - WEEK:
            continue
        post_id = wordpress_post_id(article.external_id)
        if post_id is None:
            continue
        endpoint, params = api_url(site_url(source), f"post-views-counter/get-post-views/{post_id}")
        count = as_views(json_body(http.fetch(endpoint, params=params), where=endpoint))
        if count is None:
            raise ImportFailed(f"{endpoint}: expected a number of views")
        views[article.external_id] = count
    return views


def url_file(source, articles, *, now: datetime) -> dict[str, int]:
    """A CSV (header row: ``id`` or ``url``, and ``views``) or JSON (a list of such
    objects, or ``{"<id or url>": views}``) that an analytics export publishes."""
    if not source.popularity_url:
        raise ImportFailed("set the popularity URL of this source to a CSV or JSON file of views")
    fetched = http.fetch(source.popularity_url)
    text = fetched.body.decode("utf-8-sig", "replace")
    if text.lstrip()[:1] in ("[", "{"):
        data = json_body(fetched, where=source.popularity_url)
        rows = (
            [{"id": key, "views": value} for key, value in data.items()] if isinstance(data, dict) else data
        )
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    views = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        row = {str(k).strip().lower(): v for k, v in row.items()}
        key = next((str(row[k]).strip() for k in ID_KEYS if row.get(k) not in (None, "")), None)
        count = next((c for k in VIEW_KEYS if (c := as_views(row.get(k))) is not None), None)
        if key and count is not None:
            views[key] = count
    if rows and not views:
        raise ImportFailed(f"{source.popularity_url}: no rows with an id or url and a number of views")
    return views


PROVIDERS = {
    "none": None,
    "wpp": wordpress_popular_posts,
    "pvc": post_views_counter,
    "url": url_file,
}


def json_body(fetched, *, where: str):
    try:
        return json.loads(fetched.body)
    except (ValueError, RecursionError) as exc:  # RecursionError: "[[[[…" nested past any sense
        raise ImportFailed(f"{where}: not valid JSON ({exc})") from None


def as_views(value) -> int | None:
    """A count from a number or a numeric string ("1,204" too); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.replace(",", "").strip()
        if not value.isdigit():
            return None
    if not isinstance(value, (int, float, str)):
        return None
    try:
        return max(0, min(int(float(value)), MAX_VIEWS))
    except (ValueError, OverflowError):
        return None


def wordpress_post_id(external_id: str) -> int | None:
    """A WordPress post id from ours: "123" (REST) or "https://site/?p=123" (feed guid)."""
    if external_id.isdigit():
        return int(external_id)
    match = WP_POST_ID.search(external_id)
    return int(match.group(1)) if match else None
