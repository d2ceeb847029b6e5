"""The placeholder contract between a digest rendered once and each reader's copy.

A digest's stored ``html`` and ``text`` carry these tokens where a reader's own fields
go; the sending pipeline calls ``digest_personalize`` once per recipient (or hands the
tokens, translated to the ESP's merge syntax, to the ESP):

    [[nashra:name]]             the reader's name; may be empty
    [[nashra:unsubscribe_url]]  their personal one-click unsubscribe link
    [[nashra:web_url]]          the digest's web version

An empty value also swallows the one space before its token, so the greeting
"مرحباً [[nashra:name]]،" reads "مرحباً سارة،" or "مرحباً،" — one substitution per field,
no second greeting variant to keep in step.
"""

import html as html_lib
import re

PLACEHOLDERS: tuple[str, ...] = ("name", "unsubscribe_url", "web_url")
TOKEN_PREFIX = "[[nashra:"


def token(field: str) -> str:
    return f"{TOKEN_PREFIX}{field}]]"


TOKENS: dict[str, str] = {field: token(field) for field in PLACEHOLDERS}

# One pass over the body for all fields; the optional leading space is the one an
# empty value removes. Values are inserted by the callback, never re-scanned, so a
# name that looks like a token stays text.
_PATTERN = re.compile(r"( ?)\[\[nashra:(" + "|".join(PLACEHOLDERS) + r")\]\]")


def digest_personalize(*, body: str, fields: dict[str, str], html: bool) -> str:
    """Fill every placeholder in ``body`` with ``fields`` (HTML-escaped when ``html``).

    A missing field is an error: an email must never go out with a blank unsubscribe
    link because a caller forgot it.
    """
    missing = set(PLACEHOLDERS) - fields.keys()
    if missing:
        raise KeyError(f"digest_personalize: missing fields {sorted(missing)}")
    values = {k: html_lib.escape(str(fields[k]), quote=True) if html else str(fields[k]) for k in PLACEHOLDERS}

    def fill(match: re.Match) -> str:
        value = values[match.group(2)]
        return f"{match.group(1)}{value}" if value else ""

    return _PATTERN.sub(fill, body)


def defuse(text: str) -> str:
    """Stop content (a title, an intro) from smuggling a placeholder into the body.

    A zero-width space between the brackets keeps the text readable and the token dead.
    """
    return text.replace("[[", "[\u200b[") if "[[" in text else text
