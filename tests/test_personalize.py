"""The placeholder contract the sending pipeline relies on."""

import pytest

from subscriptions.personalize import PLACEHOLDERS, TOKENS, digest_personalize

GREETING_HTML = '<p>مرحباً [[nashra:name]]،</p><a href="[[nashra:unsubscribe_url]]">x</a> <a href="[[nashra:web_url]]">y</a>'
FIELDS = {"name": "سارة", "unsubscribe_url": "https://n.example/unsubscribe/t/", "web_url": "https://n.example/w/"}


def test_the_placeholder_tokens_are_exactly_the_documented_ones():
    assert PLACEHOLDERS == ("name", "unsubscribe_url", "web_url")
    assert TOKENS == {
        "name": "[[nashra:name]]",
        "unsubscribe_url": "[[nashra:unsubscribe_url]]",
        "web_url": "[[nashra:web_url]]",
    }


def test_a_name_greets_the_reader_and_no_name_still_reads_naturally():
    assert digest_personalize(body=GREETING_HTML, fields=FIELDS, html=True).startswith("<p>مرحباً سارة،</p>")
    anonymous = digest_personalize(body=GREETING_HTML, fields={**FIELDS, "name": ""}, html=True)
    assert anonymous.startswith("<p>مرحباً،</p>")
    english = digest_personalize(body="Hello [[nashra:name]],", fields={**FIELDS, "name": ""}, html=False)
    assert english == "Hello,"


def test_markup_in_a_name_is_escaped_in_html_and_left_alone_in_text():
    evil = {**FIELDS, "name": "<img src=x onerror=alert(1)>"}
    html = digest_personalize(body=GREETING_HTML, fields=evil, html=True)
    assert "<img" not in html
    assert "مرحباً &lt;img src=x onerror=alert(1)&gt;،" in html
    text = digest_personalize(body="مرحباً [[nashra:name]]،", fields=evil, html=False)
    assert text == "مرحباً <img src=x onerror=alert(1)>،"


def test_urls_are_attribute_safe_in_html():
    fields = {**FIELDS, "unsubscribe_url": 'https://n.example/u/?a=1&b="2"'}
    html = digest_personalize(body=GREETING_HTML, fields=fields, html=True)
    assert 'href="https://n.example/u/?a=1&amp;b=&quot;2&quot;"' in html


def test_a_value_that_looks_like_a_token_is_not_expanded_again():
    fields = {**FIELDS, "name": "[[nashra:unsubscribe_url]]"}
    out = digest_personalize(body="مرحباً [[nashra:name]]،", fields=fields, html=False)
    assert out == "مرحباً [[nashra:unsubscribe_url]]،"


def test_a_missing_field_is_an_error_not_a_blank_link():
    with pytest.raises(KeyError, match="unsubscribe_url"):
        digest_personalize(body=GREETING_HTML, fields={"name": "x", "web_url": "y"}, html=True)


def test_every_occurrence_is_filled_and_nothing_else_changes():
    body = "[[nashra:web_url]] | [[nashra:web_url]] | [[nashra:other]] | [nashra:name]"
    out = digest_personalize(body=body, fields=FIELDS, html=False)
    assert out == "https://n.example/w/ | https://n.example/w/ | [[nashra:other]] | [nashra:name]"
