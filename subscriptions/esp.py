"""What each ESP can do for a digest send: a small table, not branches.

Batch-capable ESPs take one API call per batch: one message, many ``to`` addresses, and
per-recipient ``merge_data`` substituted by the ESP into the body with its own merge
syntax. The others (SMTP, Postmark and SES without stored templates, the local outbox)
get one pre-personalised copy per recipient, sent over a single connection.

Only the Mailgun row is exercised against a stand-in of its API in the tests; the
other batch rows follow each ESP's documented on-the-fly substitution syntax.
"""

import re
from dataclasses import dataclass
from html import escape

from django.conf import settings

from subscriptions.personalize import PLACEHOLDERS


@dataclass(frozen=True)
class Adapter:
    name: str
    batch_size: int
    # How the ESP spells a merge field in the body, e.g. "%recipient.{key}%"; None means
    # the ESP cannot merge on the fly, so every recipient gets a ready-made copy.
    merge_field: str | None = None

    @property
    def batches(self) -> bool:
        return self.merge_field is not None


ADAPTERS = {
    "anymail.backends.mailgun.EmailBackend": Adapter("mailgun", 1000, "%recipient.{key}%"),
    # SparkPost's handlebars escape {{x}} in HTML; our HTML keys are escaped already.
    "anymail.backends.sparkpost.EmailBackend": Adapter("sparkpost", 1000, "{{{{{{{key}}}}}}}"),
    "anymail.backends.brevo.EmailBackend": Adapter("brevo", 1000, "{{{{ params.{key} }}}}"),
    "anymail.backends.mailjet.EmailBackend": Adapter("mailjet", 50, "[[var:{key}]]"),
    # Resend, Postmark, SES: no on-the-fly merge → one copy per recipient.
    "anymail.backends.resend.EmailBackend": Adapter("resend", 100),
    "anymail.backends.postmark.EmailBackend": Adapter("postmark", 500),
    "anymail.backends.amazon_ses.EmailBackend": Adapter("amazon_ses", 500),
    "django.core.mail.backends.smtp.EmailBackend": Adapter("smtp", 500),
}
DEFAULT = Adapter("per-message", 500)


def current_adapter() -> Adapter:
    backend = settings.MAILERS["default"]["BACKEND"]
    adapter = ADAPTERS.get(backend, DEFAULT)
    if settings.SEND_BATCH_SIZE:
        adapter = Adapter(adapter.name, settings.SEND_BATCH_SIZE, adapter.merge_field)
    return adapter


# --------------------------------------------------------------------------- merge keys
# The HTML and text parts need different values (escaped or not), and a placeholder
# preceded by a space must lose that space when the value is empty ("مرحباً،" not
# "مرحباً ،"). So each placeholder becomes up to four ESP keys: name, name_sp (with
# its leading space folded into the value), and _h variants for the HTML part.
_TOKEN = re.compile(r"( ?)\[\[nashra:(" + "|".join(PLACEHOLDERS) + r")\]\]")


def merge_key(field: str, *, space: bool, html: bool) -> str:
    return f"{field}{'_sp' if space else ''}{'_h' if html else ''}"


def to_esp_syntax(body: str, *, adapter: Adapter, html: bool) -> str:
    """Rewrite [[nashra:x]] tokens into the ESP's merge fields (once per digest)."""

    def replace(match: re.Match) -> str:
        key = merge_key(match.group(2), space=bool(match.group(1)), html=html)
        return adapter.merge_field.format(key=key)

    return _TOKEN.sub(replace, body)


def merge_values(fields: dict[str, str]) -> dict[str, str]:
    """Every key ``to_esp_syntax`` may produce, for one recipient."""
    values = {}
    for field in PLACEHOLDERS:
        raw = str(fields[field])
        escaped = escape(raw, quote=True)
        values[field] = raw
        values[f"{field}_sp"] = f" {raw}" if raw else ""
        values[f"{field}_h"] = escaped
        values[f"{field}_sp_h"] = f" {escaped}" if escaped else ""
    return values
