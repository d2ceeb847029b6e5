"""Building the transactional emails (verification, welcome): text + HTML, in the
reader's language, from templates/email/<name>.subject.txt|.txt|.html."""

from email.headerregistry import Address

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format

from subscriptions.links import confirm_url, unsubscribe_url
from subscriptions.models import Newsletter, Subscriber


def render_email(name: str, context: dict, *, language: str) -> tuple[str, str, str]:
    """(subject, text, html) for template ``name`` in ``language``."""
    with translation.override(language):
        subject = render_to_string(f"email/{name}.subject.txt", context)
        text = render_to_string(f"email/{name}.txt", context)
        html = render_to_string(f"email/{name}.html", context)
    # A subject is one line: a newline in it would start a new header.
    subject = " ".join(subject.split())
    return subject, text, html


def sender_for(newsletters: list[Newsletter]) -> str:
    if len(newsletters) == 1 and newsletters[0].from_email:
        return str(Address(display_name=newsletters[0].from_name, addr_spec=newsletters[0].from_email))
    return settings.DEFAULT_FROM_EMAIL


def verification_email(*, subscriber: Subscriber, newsletters: list[Newsletter], requested_at) -> EmailMultiAlternatives:
    language = subscriber.language
    with translation.override(language):
        requested = date_format(timezone.localtime(requested_at), "DATETIME_FORMAT")
    context = {
        "email": subscriber.email,
        "newsletters": newsletters,
        "requested_at": requested,
        "confirm_url": confirm_url(subscriber, [n.pk for n in newsletters], language=language),
        "site_url": settings.SITE_URL,
        "language": language,
        "rtl": translation.get_language_info(language)["bidi"],
    }
    subject, text, html = render_email("verification", context, language=language)
    message = EmailMultiAlternatives(subject, text, sender_for(newsletters), [subscriber.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["Auto-Submitted"] = "auto-generated"
    # No open pixel and no rewritten links in a verification email (Anymail honours these).
    message.track_opens = False
    message.track_clicks = False
    message.tags = ["verification"]
    return message


def welcome_email(*, subscriber: Subscriber, newsletter: Newsletter) -> EmailMultiAlternatives:
    language = subscriber.language
    context = {
        "newsletter": newsletter,
        "name": subscriber.name,
        "unsubscribe_url": unsubscribe_url(subscriber.pk, newsletter.pk),
        "site_url": settings.SITE_URL,
        "language": language,
        "rtl": translation.get_language_info(language)["bidi"],
    }
    subject, text, html = render_email("welcome", context, language=language)
    message = EmailMultiAlternatives(subject, text, sender_for([newsletter]), [subscriber.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.tags = ["welcome"]
    return message

