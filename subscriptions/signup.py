"""Reading a signup request: body limits, content types, origin, bot checks.

Kept apart from views.py so the view reads as validate → service → render, and so the
rules a reviewer must trust are in one place. Each check returns a ``Refusal`` (HTTP
status + message in the reader's language) or None.
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import QueryDict
from django.utils.translation import gettext as _

from subscriptions.forms import allowed_origins, form_age, is_bot_submission, MIN_FILL_SECONDS

MAX_BODY = 10 * 1024  # a name and an address; anything larger is not a signup
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
JSON_TYPE = "application/json"
SOURCES = {"page", "embed", "snippet", "resend"}


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str
    field: str = "__all__"


def check_body(request) -> Refusal | None:
    if request.content_type not in FORM_TYPES | {JSON_TYPE}:
        return Refusal(415, _("Send the form as application/x-www-form-urlencoded, multipart/form-data or application/json."))
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Refusal(400, _("The request is malformed."))
    if declared > MAX_BODY:
        return Refusal(413, _("The form is too large."))
    return None


def check_origin(request) -> Refusal | None:
    """Browsers send Origin (or at least Referer) with a POST; a forged cross-site post
    comes from a page not on our list. Clients that send neither are not browsers, so
    cannot be made to post on a reader's behalf, and are left to the other checks."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        referer = request.headers.get("Referer")
        if not referer:
            return None if origin is None else Refusal(403, _("This form cannot be sent from here."))
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin.rstrip("/") in allowed_origins(request):
        return None
    return Refusal(403, _("This form cannot be sent from here."))


def parse(request) -> tuple[QueryDict | dict, Refusal | None]:
    """The submitted fields as a flat mapping of strings."""
    body = request.body  # Django refuses bodies past DATA_UPLOAD_MAX_MEMORY_SIZE itself
    if len(body) > MAX_BODY:
        return {}, Refusal(413, _("The form is too large."))
    if request.content_type != JSON_TYPE:
        return request.POST, None
    try:
        data = json.loads(body.decode(request.encoding or "utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}, Refusal(400, _("The request body is not valid JSON."))
    if not isinstance(data, dict):
        return {}, Refusal(400, _("Send a JSON object with “name” and “email”."))
    # Values must be text; numbers, lists and objects are refused per field by the form.
    return {k: v for k, v in data.items() if isinstance(k, str)}, None


def check_bot(data) -> tuple[bool, Refusal | None]:
    """(silently drop?, refusal). A filled honeypot is answered like a success and
    dropped, so a bot learns nothing; a form sent too fast or with a forged
    timestamp is refused with a message a person can act on."""
    if is_bot_submission(data):
        return True, None
    stamp = data.get("ts")
    if stamp in (None, ""):
        return False, None  # plain-HTML snippets on the news site cannot carry one
    age = form_age(str(stamp))
    if age is None:
        return False, Refusal(400, _("This form has expired. Please reload the page and try again."))
    if age < MIN_FILL_SECONDS:
        return False, Refusal(400, _("That was quick! Please wait a moment and send the form again."))
    return False, None


def form_fields(data) -> tuple[dict, dict]:
    """(fields, errors): only the fields the form knows; unknown ones are ignored."""
    fields, errors = {}, {}
    for key in ("name", "email"):
        value = data.get(key, "")
        if isinstance(value, str):
            fields[key] = value
        else:
            errors[key] = [_("This field must be text.")]
    return fields, errors


def source_of(data) -> str:
    source = data.get("source")
    return source if isinstance(source, str) and source in SOURCES else "api"
