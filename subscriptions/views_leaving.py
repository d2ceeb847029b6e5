"""Leaving pages: unsubscribe (incl. RFC 8058 one-click) and preferences.

Unsubscribe links are served without a language prefix: mailbox providers POST to the
List-Unsubscribe URL and must get 200, not a redirect. The page speaks the reader's
language (from the token's subscriber), or the browser's for an unknown token.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from newsroom.clientip import client_ip
from subscriptions import tokens
from subscriptions.forms import PreferencesForm
from subscriptions.links import preferences_url
from subscriptions.leaving import (
    subscriber_erase,
    subscriber_export,
    subscriber_update_preferences,
    subscription_resubscribe,
    subscription_unsubscribe,
)
from subscriptions.models import Newsletter, Subscriber, Subscription

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def _is_one_click(request) -> bool:
    """RFC 8058: a POST whose form body (urlencoded or multipart) carries exactly this."""
    return request.POST.get("List-Unsubscribe") == "One-Click"


def _read(token: str) -> tuple[Subscriber | None, Newsletter | None]:
    try:
        subscriber_id, newsletter_id = tokens.read_unsubscribe_token(token)
    except tokens.InvalidToken:
        return None, None
    return Subscriber.objects.filter(pk=subscriber_id).first(), Newsletter.objects.filter(pk=newsletter_id).first()


@never_cache
@csrf_exempt  # RFC 8058: the one-click POST comes from a mailbox provider, with no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    subscriber, newsletter = _read(token)
    if subscriber is not None:
        translation.activate(subscriber.language)
        request.LANGUAGE_CODE = subscriber.language
    meta = {"ip": client_ip(request) or None, "user_agent": request.headers.get("User-Agent", "")}

    if request.method == "POST" and _is_one_click(request):
        if subscriber and newsletter:
            subscription_unsubscribe(subscriber_id=subscriber.pk, newsletter_id=newsletter.pk, how="one-click", **meta)
        # The same short 200 for every token: nothing to learn, no redirect to follow.
        return HttpResponse("Unsubscribed.\n", content_type="text/plain; charset=utf-8")

    # The footer's one link leads here; the preferences page (name, language, data,
    # erasure) is one step further, without a second token in every email.
    preferences = preferences_url(subscriber.pk, language=subscriber.language) if subscriber else None
    context = {"token": token, "newsletter": newsletter, "preferences_url": preferences}
    if request.method == "GET":
        return render(request, "subscriptions/unsubscribe.html", context)
    if subscriber and newsletter:
        subscription_unsubscribe(
            subscriber_id=subscriber.pk, newsletter_id=newsletter.pk,
            everything=request.POST.get("everything") == "1", how="unsubscribe-page", **meta,
        )
    context["can_resubscribe"] = bool(subscriber and subscriber.confirmed_at)
    return render(request, "subscriptions/unsubscribed.html", context)


@never_cache
@csrf_exempt  # same link, same secret: the token
@require_http_methods(["POST"])
def resubscribe(request, token: str):
    subscriber, newsletter = _read(token)
    done = False
    if subscriber and newsletter:
        translation.activate(subscriber.language)
        done = subscription_resubscribe(
            subscriber_id=subscriber.pk, newsletter_id=newsletter.pk,
            ip=client_ip(request) or None, user_agent=request.headers.get("User-Agent", ""),
        )
    return render(request, "subscriptions/resubscribed.html", {"done": done, "newsletter": newsletter}, status=200)


# --------------------------------------------------------------------------- preferences
def _preferences_subscriber(token: str) -> Subscriber | None:
    try:
        return Subscriber.objects.filter(pk=tokens.read_preferences_token(token)).first()
    except tokens.InvalidToken:
        return None


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    subscriber = _preferences_subscriber(token)
    if subscriber is None:
        return render(request, "subscriptions/preferences_invalid.html", status=410)
    offered = list(Newsletter.objects.filter(is_active=True).order_by("id"))
    subscribed = set(
        Subscription.objects.filter(subscriber=subscriber, status=Subscription.Status.SUBSCRIBED)
        .values_list("newsletter_id", flat=True)
    )
    initial = {"name": subscriber.name, "language": subscriber.language, "newsletters": [str(n) for n in subscribed]}
    form = PreferencesForm(request.POST or None, initial=initial, newsletters=offered)
    saved = False
    if request.method == "POST" and form.is_valid():
        chosen = {int(n) for n in form.cleaned_data["newsletters"]} if len(offered) > 1 else subscribed
        subscriber_update_preferences(
            subscriber=subscriber, name=form.cleaned_data["name"], language=form.cleaned_data["language"],
            newsletter_ids=chosen, ip=client_ip(request) or None, user_agent=request.headers.get("User-Agent", ""),
        )
        saved = True
    context = {"form": form, "subscriber": subscriber, "token": token, "saved": saved, "many": len(offered) > 1}
    invalid = request.method == "POST" and not saved
    return render(request, "subscriptions/preferences.html", context, status=400 if invalid else 200)


@never_cache
@require_http_methods(["POST"])
def preferences_export(request, token: str):
    subscriber = _preferences_subscriber(token)
    if subscriber is None:
        return render(request, "subscriptions/preferences_invalid.html", status=410)
    payload = json.dumps(subscriber_export(subscriber=subscriber), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="nashra-my-data.json"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_erase(request, token: str):
    """GET asks "are you sure?"; the POST from that page erases."""
    subscriber = _preferences_subscriber(token)
    if subscriber is None:
        return render(request, "subscriptions/preferences_invalid.html", status=410)
    if request.method == "GET":
        return render(request, "subscriptions/erase_confirm.html", {"token": token, "subscriber": subscriber})
    subscriber_erase(subscriber_id=subscriber.pk)
    return render(request, "subscriptions/erased.html")
