"""Public pages: home, signup (page, widget, endpoint), confirmation.

Views validate, call one service, render. The signup endpoint answers the same way
for every address (no enumeration) and never relies on a CSRF cookie: a cross-site
iframe does not get one. It checks Origin/Referer, a honeypot, a signed render
timestamp and per-IP rate limits instead (subscriptions/signup.py).
"""

import copy

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from newsroom.clientip import client_ip
from newsroom.ratelimit import hit, parse_limits
from subscriptions import signup, tokens
from subscriptions.emails import digest_body
from subscriptions.forms import HONEYPOT_FIELD, SignupForm, form_timestamp
from subscriptions.models import Newsletter
from subscriptions.selectors import digest_public, digests_sent, newsletter_default
from subscriptions.services import ConfirmResult, subscriber_confirm, subscriber_signup
from subscriptions.web import web_version

LATEST_ON_HOME = 5
ARCHIVE_PAGE_SIZE = 20


def success_message() -> str:
    return _("Please check your inbox! We have sent you a message to verify your address.")


def failure_message() -> str:
    return _("Something went wrong. Please try again later.")


def signup_wording(newsletter: Newsletter | None) -> str:
    """The exact words a reader sees next to the button; their hash goes in the consent log."""
    if newsletter is None:
        return ""
    return "\n".join([newsletter.name, newsletter.description, _("Subscribe now")])


def signup_context(request, *, newsletter, source: str, form=None) -> dict:
    return {
        "newsletter": newsletter,
        "form": form or SignupForm(),
        "ts": form_timestamp(),
        "honeypot": HONEYPOT_FIELD,
        "source": source,
        "action": reverse("subscriptions:subscribe"),
        "success_message": success_message(),
        "failure_message": failure_message(),
    }


def home(request):
    """The newsletter's home: what it is, the signup form, the latest issues."""
    context = signup_context(request, newsletter=newsletter_default(), source="page")
    context["latest"] = digests_sent()[:LATEST_ON_HOME]
    return render(request, "subscriptions/home.html", context)


def framable(response):
    """Let SIGNUP_FRAME_ANCESTORS (and this site) frame this response; every other page
    keeps X-Frame-Options: DENY and frame-ancestors 'none'. Read per response, not at
    import, so a settings change needs no code reload."""
    policy = copy.deepcopy(settings.SECURE_CSP)
    policy["frame-ancestors"] = [CSP.SELF, *settings.SIGNUP_FRAME_ANCESTORS]
    response._csp_config = policy  # what django.views.decorators.csp.csp_override sets
    response.xframe_options_exempt = True
    return response


@never_cache
def subscribe_embed(request):
    """The sidebar widget: the only page other sites (SIGNUP_FRAME_ANCESTORS) may frame."""
    newsletter = newsletter_default()
    context = signup_context(request, newsletter=newsletter, source="embed")
    return framable(render(request, "subscriptions/embed.html", context))


def _wants_json(request) -> bool:
    return (
        request.content_type == signup.JSON_TYPE
        or "application/json" in request.headers.get("Accept", "")
        or request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


@never_cache
@csrf_exempt  # see the module docstring: the checks below replace the CSRF cookie
@require_http_methods(["GET", "POST"])
def subscribe(request):
    newsletter = newsletter_default()
    if request.method == "GET":
        return render(request, "subscriptions/subscribe.html", signup_context(request, newsletter=newsletter, source="page"))

    refusal = signup.check_body(request) or signup.check_origin(request)
    if refusal is None and not hit("signup", client_ip(request), parse_limits(settings.SIGNUP_RATE_LIMIT)):
        refusal = signup.Refusal(429, _("Too many attempts from your network. Please try again in a while."))
    data, parse_refusal = ({}, None) if refusal else signup.parse(request)
    refusal = refusal or parse_refusal
    if refusal:
        return _refuse(request, refusal, newsletter)

    source = signup.source_of(data)
    drop, refusal = signup.check_bot(data)
    if refusal:
        return _refuse(request, refusal, newsletter, source=source)
    if newsletter is None:
        return _refuse(request, signup.Refusal(503, _("Signups are closed for now.")), newsletter)

    fields, type_errors = signup.form_fields(data)
    form = SignupForm(fields)
    if type_errors or not form.is_valid():
        errors = type_errors or {f: [str(m) for m in msgs] for f, msgs in form.errors.items()}
        return _invalid(request, errors, newsletter, form, source)

    if not drop:
        subscriber_signup(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            language=translation.get_language(),
            newsletter=newsletter,
            ip=client_ip(request) or None,
            user_agent=request.headers.get("User-Agent", ""),
            form=source,
            wording=signup_wording(newsletter),
        )
    # The same answer whatever happened: nobody learns who is subscribed.
    if _wants_json(request):
        return JsonResponse({"ok": True, "message": success_message()})
    return _result(request, source, {"ok": True, "message": success_message(), "newsletter": newsletter})


def _result(request, source: str, context: dict, status: int = 200):
    """The no-script answer; inside the widget's iframe it must stay framable."""
    if source == "embed":
        return framable(render(request, "subscriptions/embed_result.html", context, status=status))
    return render(request, "subscriptions/result.html", context, status=status)


def _refuse(request, refusal: signup.Refusal, newsletter, *, source: str = "page"):
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": {refusal.field: [refusal.message]}}, status=refusal.status)
    return _result(request, source, {"ok": False, "message": refusal.message, "newsletter": newsletter}, refusal.status)


def _invalid(request, errors: dict, newsletter, form, source: str):
    if _wants_json(request):
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    context = signup_context(request, newsletter=newsletter, source=source, form=form)
    if source == "embed":
        return framable(render(request, "subscriptions/embed.html", context, status=400))
    return render(request, "subscriptions/subscribe.html", context, status=400)


# --------------------------------------------------------------------------- confirm
@never_cache
@csrf_exempt  # the token in the URL is the secret; the POST may come from a cookieless tab
@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows a page and changes nothing (mail scanners fetch links); the page's
    script POSTs at once, and its button does the same for readers without scripts."""
    try:
        claim, state = tokens.read_confirm_token(token)
    except tokens.ExpiredToken:
        return _link_invalid(request, status=410)
    except tokens.InvalidToken:
        return _link_invalid(request, status=400)

    if request.method == "GET":
        return render(request, "subscriptions/confirm.html", {"newsletter": newsletter_default()})

    result = subscriber_confirm(
        claim=claim, state=state, ip=client_ip(request) or None, user_agent=request.headers.get("User-Agent", "")
    )
    if result is ConfirmResult.EXPIRED:
        return _link_invalid(request, status=410)
    return render(
        request,
        "subscriptions/confirmed.html",
        {"already": result is ConfirmResult.ALREADY, "newsletter": newsletter_default()},
    )


def _link_invalid(request, *, status: int):
    """A friendly page with a 'send me a new link' form (the normal signup path)."""
    newsletter = newsletter_default()
    context = signup_context(request, newsletter=newsletter, source="resend")
    context["expired"] = status == 410
    return render(request, "subscriptions/link_invalid.html", context, status=status)


# --------------------------------------------------------------------------- archive
@require_safe
def archive_index(request):
    page = Paginator(digests_sent(), ARCHIVE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "subscriptions/archive_index.html", {"page": page, "newsletter": newsletter_default()})


@require_safe
def archive_detail(request, slug: str):
    """A digest's web version ("view in your browser"): the stored body, no reader's data."""
    digest = digest_public(slug=slug)
    if digest is None:
        raise Http404("no such digest")
    return HttpResponse(web_version(digest=digest, body=digest_body(digest), request=request))
