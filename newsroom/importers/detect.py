"""What a location given to ``import_articles`` is: a WordPress site or a feed.

Only for locations typed by a person; configured sources say their kind.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin

from requests.utils import parse_header_links

from newsroom.importers import http
from newsroom.importers.base import ImportFailed
from newsroom.importers.feeds import parse_feed

WORDPRESS, FEED = "wordpress", "feed"  # ArticleSource.Kind values
FEED_TYPES = {"application/rss+xml", "application/atom+xml"}


def detect(location: str) -> tuple[str, str]:
    """(kind, url). A saved WordPress response is JSON; anything else local is a feed.
    On the web: a REST address, a site announcing its API in a ``Link`` header (every
    WordPress does), a feed, or a page linking to its feed."""
    if http.is_local(location):
        body = http.fetch(location).body
        return (WORDPRESS if body.lstrip()[:1] in (b"[", b"{") else FEED), location
    if "/wp-json" in location or "rest_route=" in location:
        return WORDPRESS, location
    fetched = http.fetch(location)
    for link in parse_header_links(fetched.headers.get("link", "")):
        if link.get("rel") == "https://api.w.org/" and link.get("url"):
            return WORDPRESS, link["url"]
    try:
        parse_feed(fetched.body, where=location, headers=fetched.headers)
        return FEED, location
    except ImportFailed:
        pass
    finder = FeedLinkFinder()
    finder.feed(fetched.body.decode("utf-8", "replace"))
    if finder.href:
        return FEED, urljoin(fetched.url or location, finder.href)
    raise ImportFailed(f"{location} is neither an RSS/Atom feed nor a WordPress site")


class FeedLinkFinder(HTMLParser):
    """The first ``<link rel="alternate" type="application/rss+xml" href=…>``."""

    def __init__(self):
        super().__init__()
        self.href = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (
            not self.href
            and tag == "link"
            and "alternate" in (attrs.get("rel") or "").lower().split()
            and (attrs.get("type") or "").lower() in FEED_TYPES
        ):
            self.href = attrs.get("href") or ""
