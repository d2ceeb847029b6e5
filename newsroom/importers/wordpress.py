"""WordPress REST API: ``/wp-json/wp/v2/posts``.

A run asks only for posts modified since the last one (``modified_after``), oldest
change first, 100 a page, with ``_embed`` for the featured image, the categories and the
author, and ``_fields`` so WordPress skips everything else. The public API lists
published posts only, so a post that was deleted, trashed, made private or put back to
draft simply stops being listed: ``gone()`` asks for the ids we hold and reports the
missing ones.
https://developer.wordpress.org/rest-api/reference/posts/
"""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.conf import settings

from newsroom.importers import http
from newsroom.importers.base import Batch, ImportFailed, Item
from newsroom.importers.sanitize import plain_text, readable_slug, web_url

PER_PAGE = 100  # the most WordPress serves per page
FIELDS = "id,date_gmt,modified_gmt,link,slug,status,title,excerpt,_links,_embedded"
# _embed needs _links and _embedded in _fields (both are listed above).
EMBED = "wp:featuredmedia,wp:term,author"
# WordPress compares modified_after strictly and to the second; ask again for the last
# second seen, or a post saved in that same second would never be fetched.
OVERLAP = timedelta(seconds=1)
SUMMARY_MAX = 1000
IMAGE_SIZES = ("large", "medium_large", "full")


def api_url(url: str, route: str) -> tuple[str, dict]:
    """The address of REST ``route`` (e.g. ``wp/v2/posts``) for a site given by its home
    page, its ``/wp-json/`` root or any address under it, or the ``?rest_route=`` form
    that sites without pretty permalinks use. Returns (url, query parameters)."""
    parts = urlsplit(url)
    if "rest_route" in dict(parse_qsl(parts.query)):
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), {"rest_route": f"/{route}"}
    path = parts.path
    if "/wp-json" in path:
        path = path[: path.index("/wp-json")]
    return urlunsplit((parts.scheme, parts.netloc, f"{path.rstrip('/')}/wp-json/{route}", "", "")), {}


def fetch(source, *, full: bool = False) -> Batch:
    if http.is_local(source.url):  # a saved posts response: one page, nothing to resume
        items, skipped = parse_posts(http.fetch(source.url).body, where=source.url)
        return Batch(items=items, skipped=skipped)

    endpoint, params = api_url(source.url, "wp/v2/posts")
    since = None if full else source.modified_after
    params |= {
        "per_page": PER_PAGE,
        "orderby": "modified",
        "order": "asc",
        "_fields": FIELDS,
        "_embed": EMBED,
    }
    if since:
        params["modified_after"] = (since - OVERLAP).astimezone(UTC).isoformat()

    batch = Batch(modified_after=since)
    page, pages, total = 1, 1, None
    while page <= pages:
        if page > settings.IMPORT_MAX_PAGES:
            batch.more = True
            break
        fetched = http.fetch(endpoint, params={**params, "page": page})
        items, skipped = parse_posts(fetched.body, where=f"{endpoint} (page {page})")
        if not items and not skipped:
            break  # WordPress never sends an empty page before its last; a liar might
        batch.items += items
        batch.skipped += skipped
        pages = header_int(fetched, "x-wp-totalpages", default=1)
        total = header_int(fetched, "x-wp-total", default=None) if total is None else total
        page += 1

    seen = {item.external_id for item in batch.items}
    newest = max((item.modified_at for item in batch.items if item.modified_at), default=None)
    # "More" only if this run got further than the last: a site that answers the same
    # posts whatever we ask must not keep a chain of runs going for ever.
    batch.more = batch.more and newest is not None and (since is None or newest > since)
    # Pages are numbered over a list that can change while we read it: a post edited
    # mid-run jumps to the end and pushes another back onto a page already read. Seeing
    # fewer posts than WordPress counted means that happened; keep the old cursor so the
    # next run asks again (upserts make the repeat harmless).
    if newest and (batch.more or total is None or len(seen) >= total):
        batch.modified_after = max(newest, since) if since else newest
    return batch


def gone(source, batch: Batch, held: dict) -> set[str]:
    """Which of the published posts we hold (``held``: external id → published at) the
    site no longer publishes."""
    if http.is_local(source.url):
        return set()
    endpoint, params = api_url(source.url, "wp/v2/posts")
    ids = sorted(int(external_id) for external_id in held if external_id.isdigit())
    listed = set()
    for start in range(0, len(ids), PER_PAGE):
        chunk = ids[start : start + PER_PAGE]
        fetched = http.fetch(
            endpoint,
            params=params
            | {"include": ",".join(map(str, chunk)), "per_page": PER_PAGE, "_fields": "id,status"},
        )
        for post in json_list(fetched.body, where=f"{endpoint} (checking {len(chunk)} posts)"):
            if isinstance(post, dict) and post.get("status", "publish") == "publish":
                listed.add(str(post.get("id")))
    return {str(i) for i in ids} - listed


def parse_posts(body: bytes, *, where: str) -> tuple[list[Item], int]:
    items, skipped = [], 0
    for post in json_list(body, where=where):
        item = parse_post(post)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return items, skipped


def json_list(body: bytes, *, where: str) -> list:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # bad bytes or syntax; or "[[[[…" nested past any sense
        raise ImportFailed(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(data, list):
        raise ImportFailed(f"{where}: expected a JSON list of posts, got a JSON {type(data).__name__}")
    return data


def parse_post(post) -> Item | None:
    if not isinstance(post, dict) or not isinstance(post.get("id"), int):
        return None
    title = plain_text(rendered(post.get("title")), max_length=300)
    url = web_url(post.get("link"))
    if not title or not url:
        return None
    embedded = post.get("_embedded") if isinstance(post.get("_embedded"), dict) else {}
    return Item(
        external_id=str(post["id"]),
        title=title,
        url=url,
        summary=plain_text(rendered(post.get("excerpt")), max_length=SUMMARY_MAX),
        image_url=featured_image(embedded),
        author=plain_text(first(embedded.get("author")).get("name"), max_length=200),
        slug=readable_slug(post.get("slug")),
        published_at=gmt(post.get("date_gmt")),
        modified_at=gmt(post.get("modified_gmt")),
        published=post.get("status", "publish") == "publish",
        categories=categories(embedded),
    )


def rendered(field) -> str:
    if isinstance(field, dict):
        field = field.get("rendered")
    return field if isinstance(field, str) else ""


def first(value) -> dict:
    """The first object of an embedded list; {} for anything else (WordPress embeds an
    error object, not a list, when the media is private)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


def featured_image(embedded: dict) -> str:
    media = first(embedded.get("wp:featuredmedia"))
    details = media.get("media_details")
    sizes = details.get("sizes") if isinstance(details, dict) else None
    for size in IMAGE_SIZES:
        candidate = sizes.get(size) if isinstance(sizes, dict) else None
        if isinstance(candidate, dict) and web_url(candidate.get("source_url")):
            return web_url(candidate["source_url"])
    return web_url(media.get("source_url"))


def categories(embedded: dict) -> list[str]:
    """Category names from ``wp:term`` (one list per taxonomy); WordPress's default
    "Uncategorized" only when the post has no other."""
    terms = [
        term
        for group in (embedded.get("wp:term") or [])
        if isinstance(group, list)
        for term in group
        if isinstance(term, dict) and term.get("taxonomy") == "category"
    ]
    chosen = [t for t in terms if t.get("slug") != "uncategorized"] or terms
    names = [plain_text(t.get("name"), max_length=200) for t in chosen]
    return [name for name in names if name]


def gmt(value) -> datetime | None:
    """``date_gmt``/``modified_gmt`` are UTC without an offset."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def header_int(fetched, name: str, *, default):
    value = fetched.headers.get(name, "")
    return int(value) if value.strip().isdigit() else default
