"""RSS 2.0 and Atom feeds, read with feedparser after a conditional GET.

We fetch the bytes ourselves (timeouts, size cap, ETag/Last-Modified → 304) and hand
feedparser only bytes: given a string it would fetch URLs or open files on its own.
A feed that is not well-formed XML is refused whole: feedparser's lenient fallback
would import whatever came before the break, and a truncated feed is not the news.
"""

import calendar
import hashlib
import time
import xml.sax
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser

from newsroom.importers import http
from newsroom.importers.base import Batch, ImportFailed, Item
from newsroom.importers.sanitize import plain_text, readable_slug, web_url

SUMMARY_MAX = 1000
EXTERNAL_ID_MAX = 200  # Article.external_id


def fetch(source, *, full: bool = False) -> Batch:
    headers = {}
    if not full:
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.last_modified:
            headers["If-Modified-Since"] = source.last_modified
    fetched = http.fetch(source.url, headers=headers)
    if fetched.not_modified:
        return Batch(not_modified=True, etag=source.etag, last_modified=source.last_modified)
    items, skipped = parse_feed(fetched.body, where=source.url, headers=fetched.headers)
    return Batch(
        items=items,
        skipped=skipped,
        etag=fetched.headers.get("etag", "")[:500],
        last_modified=fetched.headers.get("last-modified", "")[:100],
    )


def gone(source, batch: Batch, held: dict) -> set[str]:
    """A feed lists only its latest entries, so absence alone proves nothing. But an
    article we hold that is as recent as the feed's oldest entry and yet missing from it
    was taken down (or unpublished) at the source."""
    dates = [item.published_at for item in batch.items if item.published_at]
    if not dates:
        return set()
    oldest = min(dates)
    listed = {item.external_id for item in batch.items}
    return {
        eid
        for eid, published_at in held.items()
        if published_at and published_at >= oldest and eid not in listed
    }


def parse_feed(body: bytes, *, where: str, headers: dict | None = None) -> tuple[list[Item], int]:
    parsed = feedparser.parse(body, response_headers=headers or {})
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        raise ImportFailed(
            f"{where}: not well-formed XML (line {problem.getLineNumber()}, "
            f"column {problem.getColumnNumber()}: {problem.getMessage()})"
        )
    if isinstance(problem, xml.sax.SAXException):
        raise ImportFailed(f"{where}: not well-formed XML ({problem.getMessage()})")
    if not parsed.get("version"):
        raise ImportFailed(f"{where}: not an RSS or Atom feed")
    items, skipped = [], 0
    for entry in parsed.entries:
        item = parse_entry(entry)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    return items, skipped


def parse_entry(entry) -> Item | None:
    title = plain_text(entry.get("title"), max_length=300)
    url = web_url(entry.get("link"))
    external_id = (entry.get("id") or url or "").strip()
    if not title or not url or not external_id:
        return None
    # Plain dict.get: feedparser's own get() maps a missing updated_parsed to
    # published_parsed, with a deprecation warning.
    updated = dict.get(entry, "updated_parsed")
    if len(external_id) > EXTERNAL_ID_MAX:
        external_id = "sha1:" + hashlib.sha1(external_id.encode()).hexdigest()
    return Item(
        external_id=external_id,
        title=title,
        url=url,
        summary=plain_text(first_paragraph(entry.get("summary")), max_length=SUMMARY_MAX),
        image_url=image(entry),
        author=plain_text(entry.get("author"), max_length=200),
        slug=readable_slug(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]),
        published_at=utc(dict.get(entry, "published_parsed") or updated),
        modified_at=utc(updated),
        categories=[
            name
            for tag in entry.get("tags", [])
            if (name := plain_text(tag.get("label") or tag.get("term"), max_length=200))
        ],
    )


def first_paragraph(html: str | None) -> str | None:
    """A feed's description is often the whole article, or an excerpt followed by an
    SEO plugin's "The post … appeared first on …": a summary is its first paragraph."""
    if isinstance(html, str) and "</p>" in html:
        return html[: html.index("</p>") + 4]
    return html


def image(entry) -> str:
    """media:content / media:thumbnail (Media RSS), else an image enclosure."""
    candidates = [m.get("url") for m in entry.get("media_content", []) if m.get("medium", "image") == "image"]
    candidates += [m.get("url") for m in entry.get("media_thumbnail", [])]
    candidates += [
        e.get("href") for e in entry.get("enclosures", []) if str(e.get("type", "")).startswith("image/")
    ]
    return next((url for candidate in candidates if (url := web_url(candidate))), "")


def utc(parsed: time.struct_time | None) -> datetime | None:
    """feedparser gives every date as a UTC struct_time."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
