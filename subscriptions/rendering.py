"""A digest's email body, rendered once: MJML (a Django template) compiled in-process
by ``mrml`` to HTML, and a plain-text part carrying the same items.

The output holds ``[[nashra:…]]`` placeholders instead of any reader's data (see
``subscriptions.personalize``), so it is rendered once per digest and reused for every
recipient, the web version and test sends.
"""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import mrml
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import Truncator

from newsroom.selectors import articles_by_ids
from subscriptions.digest import digest_dates
from subscriptions.models import Digest, DigestItem, Newsletter
from subscriptions.personalize import TOKENS, defuse

# No web-font <link>s (mrml would add Google Fonts for its default font): the font
# stack is system fonts with Arabic glyphs, and nothing loads from a third party.
RENDER_OPTIONS = mrml.RenderOptions(disable_comments=True, fonts={})
# A teaser, not the article: long summaries are cut (with …) so a full digest stays small.
SUMMARY_MAX = 280


@dataclass(frozen=True)
class RenderedDigest:
    html: str
    text: str


@dataclass(frozen=True)
class ItemView:
    title: str
    url: str
    summary: str
    image_url: str


@dataclass(frozen=True)
class Block:
    """A run of consecutive items shown under one heading."""

    heading: str
    group: str
    items: list[ItemView]


def with_utm(url: str, *, newsletter: Newsletter, digest: Digest) -> str:
    """The article's URL tagged for analytics; the article's own query string is kept,
    and tags it already has are not duplicated."""
    if not newsletter.utm_source:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("utm_")]
    query += [
        ("utm_source", newsletter.utm_source),
        ("utm_medium", newsletter.utm_medium or "email"),
        ("utm_campaign", newsletter.utm_campaign or digest.slug),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _blocks(digest: Digest) -> list[Block]:
    """Items in the editors' order; consecutive items of one group (and section) share
    a heading, so a reordered digest reads exactly as arranged."""
    items = list(digest.items.order_by("position", "id"))
    articles = articles_by_ids(ids=[i.article_id for i in items])
    group_headings = dict(DigestItem.Group.choices)
    blocks: list[Block] = []
    for item in items:
        article = articles[item.article_id]
        if item.group == DigestItem.Group.SECTION:
            section = article.section if item.section_id in (None, article.section_id) else None
            heading = section.name if section else _section_name(item)
        else:
            heading = str(group_headings[item.group])
        view = ItemView(
            title=defuse(article.title),
            url=with_utm(article.url, newsletter=digest.newsletter, digest=digest),
            summary=defuse(Truncator(article.summary).chars(SUMMARY_MAX)),
            image_url=article.image_url,
        )
        if blocks and blocks[-1].group == item.group and blocks[-1].heading == heading:
            blocks[-1].items.append(view)
        else:
            blocks.append(Block(heading=heading, group=item.group, items=[view]))
    return blocks


def _section_name(item: DigestItem) -> str:
    # An editor pinned a section other than the article's own: one extra query, rare.
    return item.section.name if item.section_id else ""


def digest_context(digest: Digest) -> dict:
    newsletter = digest.newsletter
    blocks = _blocks(digest)
    first_title = blocks[0].items[0].title if blocks else ""
    return {
        "digest": digest,
        "newsletter": newsletter,
        "subject": defuse(digest.subject),
        "intro": defuse(digest.intro),
        "preview": defuse(digest.intro.split("\n")[0].strip()) or first_title,
        "dates": digest_dates(newsletter=newsletter, period_start=digest.period_start, period_end=digest.period_end),
        "blocks": blocks,
        "item_count": sum(len(b.items) for b in blocks),
        "tokens": TOKENS,
    }


def digest_render(*, digest: Digest) -> RenderedDigest:
    """The digest's HTML and text with placeholders, in its newsletter's language."""
    with translation.override(digest.newsletter.language):
        context = digest_context(digest)
        context["rtl"] = translation.get_language_bidi()
        source = render_to_string("email/digest.mjml", context)
        text = render_to_string("email/digest.txt", context)
    html = mrml.to_html(source, render_options=RENDER_OPTIONS).content
    return RenderedDigest(html=html, text=_tidy_text(text))


def _tidy_text(text: str) -> str:
    """Templates leave runs of blank lines where blocks are skipped; keep at most one."""
    lines, blank = [], False
    for line in text.splitlines():
        line = line.rstrip()
        if not line:
            if not blank and lines:
                lines.append("")
            blank = True
            continue
        lines.append(line)
        blank = False
    return "\n".join(lines).strip() + "\n"
