"""A stand-in for the news site: a real HTTP server on 127.0.0.1 (port 0), in a thread.

It answers like WordPress where Nashra talks to it:
- ``/wp-json/wp/v2/posts`` — published posts only; ``modified_after``, ``include``,
  ``orderby``/``order``, ``page``/``per_page`` with ``X-WP-Total``/``X-WP-TotalPages``,
  ``_fields`` (top-level keys) and ``_embed`` (``_embedded`` only when asked for);
- ``/wp-json/wordpress-popular-posts/v1/popular-posts`` — ``site.wpp`` (id → views);
- ``/wp-json/post-views-counter/get-post-views/<id>`` — ``site.pvc`` (id → views);
- ``/`` — the home page, announcing the REST API (``Link`` header) and the feed;
- any path in ``site.files`` — a static body with ETag/Last-Modified and 304s.

``site.faults[path] = fault`` makes a path misbehave; the fault functions below build
the hostile answers (500, truncated body, slow, endless, dripping). Every request is
kept in ``site.requests`` so tests can see what Nashra asked.
"""

import email.utils
import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parent / "data"
POSTS = "/wp-json/wp/v2/posts"
HOME_PAGE = (
    b'<html dir="rtl"><head><link rel="alternate" type="application/rss+xml" href="/feed/"></head></html>'
)


def load_posts() -> list[dict]:
    return json.loads((DATA / "wp_posts.json").read_text(encoding="utf-8"))


def many_posts(count: int, *, start=datetime(2024, 1, 1, tzinfo=UTC)) -> list[dict]:
    """``count`` small published posts, one a minute from ``start``, all in one category."""
    category = [{"id": 4, "name": "سياسة", "slug": "%d8%b3", "taxonomy": "category"}]
    return [
        {
            "id": 10_000 + n,
            "date_gmt": (start + timedelta(minutes=n)).isoformat()[:19],
            "modified_gmt": (start + timedelta(minutes=n)).isoformat()[:19],
            "slug": f"khabar-{n}",
            "status": "publish",
            "link": f"https://alayam.example/archive/{n}/",
            "title": {"rendered": f"خبر رقم {n}"},
            "excerpt": {"rendered": f"<p>ملخص الخبر رقم {n}</p>"},
            "_links": {},
            "_embedded": {"wp:term": [category, []]},
        }
        for n in range(count)
    ]


class Site:
    def __init__(self):
        self.posts: list[dict] = []
        self.files: dict[str, tuple[bytes, str]] = {}  # path → (body, content type)
        self.wpp: dict[int, int] = {}
        self.pvc: dict[int, int] = {}
        self.faults: dict[str, object] = {}
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def serve_file(self, path: str, body: bytes, content_type: str = "application/rss+xml; charset=UTF-8"):
        self.files[path] = (body, content_type)

    def requests_to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def handler_class(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                site.requests.append({"path": parts.path, "query": query, "headers": dict(self.headers)})
                fault = site.faults.get(parts.path)
                if fault and fault(self, query) is not False:
                    return
                if parts.path == POSTS:
                    return self.posts(query)
                if parts.path == "/wp-json/wordpress-popular-posts/v1/popular-posts":
                    ranked = sorted(site.wpp.items(), key=lambda kv: -kv[1])[: int(query.get("limit", 10))]
                    return self.json([{"id": pid, "pageviews": str(views)} for pid, views in ranked])
                if parts.path.startswith("/wp-json/post-views-counter/get-post-views/"):
                    ids = [int(i) for i in parts.path.rsplit("/", 1)[-1].split(",")]
                    return self.json(sum(site.pvc.get(i, 0) for i in ids))
                if parts.path in site.files:
                    return self.file(*site.files[parts.path])
                if parts.path == "/":
                    return self.file(HOME_PAGE, "text/html; charset=UTF-8", link=True)
                self.json({"code": "rest_no_route", "message": "No route was found."}, status=404)

            def posts(self, query):
                posts = [p for p in site.posts if p.get("status") == "publish"]  # the public API
                if "include" in query:
                    wanted = {int(i) for i in query["include"].split(",") if i}
                    posts = [p for p in posts if p["id"] in wanted]
                if "modified_after" in query:
                    after = datetime.fromisoformat(query["modified_after"]).astimezone(UTC)
                    posts = [p for p in posts if utc(p["modified_gmt"]) > after]
                field = {"modified": "modified_gmt", "id": "id"}.get(query.get("orderby"), "date_gmt")
                posts.sort(key=lambda p: (p[field], p["id"]), reverse=query.get("order", "desc") == "desc")
                per_page, page = int(query.get("per_page", 10)), int(query.get("page", 1))
                if per_page > 100:
                    return self.json({"code": "rest_invalid_param"}, status=400)
                total = len(posts)
                pages = (total + per_page - 1) // per_page
                if page > max(pages, 1):
                    return self.json({"code": "rest_post_invalid_page_number"}, status=400)
                chosen = posts[(page - 1) * per_page : page * per_page]
                fields = set(query["_fields"].split(",")) if "_fields" in query else None
                embed = "_embed" in query
                shown = [
                    {
                        k: v
                        for k, v in p.items()
                        if (fields is None or k in fields) and (embed or k != "_embedded")
                    }
                    for p in chosen
                ]
                self.json(shown, headers={"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)})

            def file(self, body: bytes, content_type: str, *, link: bool = False):
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                modified = email.utils.formatdate(1_795_000_000, usegmt=True)
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                if link:
                    self.send_header("Link", f'<{site.url}/wp-json/>; rel="https://api.w.org/"')
                self.end_headers()
                self.wfile.write(body)

            def json(self, data, *, status=200, headers=None):
                body = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Link", f'<{site.url}/wp-json/>; rel="https://api.w.org/"')
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


# --------------------------------------------------------------------------- faults
# Each takes (handler, query) and answers; returning False lets the normal route answer.


def server_error(status=500, reason="Internal Server Error", on_page=None):
    def fault(handler, query):
        if on_page is not None and int(query.get("page", 1)) != on_page:
            return False
        handler.send_response(status, reason)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return fault


def raw_body(body: bytes, content_type="application/json", headers: dict | None = None):
    def fault(handler, query):
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return fault


def slow(seconds: float):
    """Accepts the connection, then says nothing for ``seconds``."""

    def fault(handler, query):
        time.sleep(seconds)
        try:
            handler.send_response(200)
            handler.end_headers()
        except OSError:
            pass  # the client gave up, as it should

    return fault


def endless(megabytes: int, *, declare_length: bool = False):
    """A body of ``megabytes`` MB (JSON-ish spaces); without a Content-Length the only
    limit is the client's."""

    def fault(handler, query):
        handler.send_response(200)  # HTTP/1.0: the body ends when the connection does
        handler.send_header("Content-Type", "application/json")
        if declare_length:
            handler.send_header("Content-Length", str(megabytes * 1024 * 1024))
        handler.end_headers()
        chunk = b"[" + b" " * (1024 * 1024 - 1)
        try:
            for _ in range(megabytes):
                handler.wfile.write(chunk)
                chunk = b" " * len(chunk)
        except OSError:
            pass  # the client hung up once it had enough

    return fault


def drip(every: float, *, total_bytes: int = 10_000):
    """One byte every ``every`` seconds: never idle long enough to trip a read timeout."""

    def fault(handler, query):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(total_bytes))
        handler.end_headers()
        try:
            for _ in range(total_bytes):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(every)
        except OSError:
            pass

    return fault
