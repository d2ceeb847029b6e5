"""Titles and excerpts arrive as HTML; articles keep plain text, Arabic intact."""

import pytest

from newsroom.importers.sanitize import plain_text, readable_slug, web_url


@pytest.mark.parametrize(
    "html, text",
    [
        ("البرلمان يقرّ &#8220;الموازنة&#8221;", "البرلمان يقرّ “الموازنة”"),
        ("<p>سطر أول</p><p>سطر ثانٍ</p>", "سطر أول سطر ثانٍ"),
        ("خبر <script>alert('x')</script>عاجل<style>p{}</style>", "خبر عاجل"),
        ('<a href="javascript:alert(1)" onclick="x()">رابط</a> <img src=x onerror=alert(1)>', "رابط"),
        ("أسعار الخضار &amp;amp; الفواكه", "أسعار الخضار &amp; الفواكه"),  # escaped twice: unescaped once
        ("a &lt;b&gt; tag", "a <b> tag"),  # an escaped bracket is text, and stays text
        ("<p>ملخص الخبر&hellip; [&hellip;]</p>\n", "ملخص الخبر…"),
        ("  مسافات\n\tكثيرة  ", "مسافات كثيرة"),
        (None, ""),
        (42, ""),
    ],
)
def test_plain_text(html, text):
    assert plain_text(html) == text


def test_plain_text_is_cut_at_the_length_with_an_ellipsis():
    assert plain_text("كلمة " * 100, max_length=20) == "كلمة كلمة كلمة كلمة…"


@pytest.mark.parametrize(
    "url, kept",
    [
        ("https://alayam.example/2026/11/28/خبر/", True),
        ("http://alayam.example/?p=1", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//alayam.example/x", False),
        ("/relative/path", False),
        ("http://[::1", False),
        ("https://alayam.example/" + "x" * 1000, False),
        (["https://alayam.example/"], False),
    ],
)
def test_only_absolute_web_addresses_are_kept(url, kept):
    assert (web_url(url) == url) is kept


def test_wordpress_percent_encoded_slugs_read_as_arabic():
    assert readable_slug("%d8%a7%d9%84%d8%a8%d8%b1%d9%84%d9%85%d8%a7%d9%86") == "البرلمان"
