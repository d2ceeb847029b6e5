"""Titles, excerpts and names arrive as HTML (WordPress renders them, feeds escape them
once or twice). Articles store plain text: no tags, no entities, Arabic untouched."""

import html
import re
from urllib.parse import unquote, urlsplit

import nh3

# Block ends become spaces, or "<p>one</p><p>two</p>" would read "onetwo".
BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|blockquote|tr|td)\s*>", re.IGNORECASE)
SPACES = re.compile(r"\s+")
# WordPress ends automatic excerpts with " [&hellip;]".
READ_MORE = re.compile(r"\s*\[(?:…|\.\.\.)\]\s*$")


def plain_text(value, *, max_length: int | None = None) -> str:
    """Strip every tag (script and style with their content), unescape, tidy spaces.
    Anything but a string (a hostile JSON may put a number or a list there) is ""."""
    if not isinstance(value, str) or not value:
        return ""
    text = nh3.clean(BLOCK_END.sub(" ", value), tags=set())
    # nh3 returns HTML-escaped text; one unescape gives the characters back.
    text = SPACES.sub(" ", html.unescape(text)).strip()
    if READ_MORE.search(text):
        text = READ_MORE.sub("", text).rstrip("… ") + "…"
    if max_length and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def web_url(value, *, max_length: int = 1000) -> str:
    """The URL if it is an absolute http(s) address that fits, else "". Links end up in
    emails: a ``javascript:`` or ``data:`` link from a hostile feed must not."""
    value = value.strip() if isinstance(value, str) else ""
    if len(value) > max_length:
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[::1" — an unbalanced IPv6 bracket
        return ""
    return value if parts.scheme in ("http", "https") and parts.netloc and " " not in value else ""


def readable_slug(value, *, max_length: int = 300) -> str:
    """WordPress stores Arabic slugs percent-encoded; show them as letters."""
    return unquote(value)[:max_length] if isinstance(value, str) else ""
