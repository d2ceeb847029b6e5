"""Building emails: the transactional ones (verification, welcome) from
templates/email/<name>.subject.txt|.txt|.html in the reader's language, one reader's
copy of a digest (HTML + text, list headers), and the note that tells the staff a
draft waits. Sending goes through the configured mailer."""

from email.headerregistry import Address
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from subscriptions.links import confirm_url, digest_admin_url, digest_web_url, unsubscribe_url
from subscriptions.models import Digest, Newsletter, Subscriber
from subscriptions.personalize import digest_personalize
from subscriptions.rendering import RenderedDigest, digest_render


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
        return sender(newsletters[0])
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
    message.extra_headers.update(list_headers(newsletter=newsletter, unsubscribe=context["unsubscribe_url"]))
    message.tags = ["welcome"]
    return message



def list_id(newsletter: Newsletter) -> str:
    """RFC 2919: ``<slug.host>``, ASCII only, so no encoder can fold it into an
    encoded-word that filters then fail to read."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{newsletter.slug}.{host}>"


def list_headers_shared(newsletter: Newsletter) -> dict[str, str]:
    """The list headers every reader's copy has alike (see ``list_headers``)."""
    return {
        # RFC 8058: mailbox providers may unsubscribe with one POST, no page visit.
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": list_id(newsletter),
    }


def list_unsubscribe(url: str) -> str:
    """The List-Unsubscribe value for one reader's link (RFC 2369: in angle brackets)."""
    return f"<{url}>"


def list_headers(*, newsletter: Newsletter, unsubscribe: str) -> dict[str, str]:
    return {"List-Unsubscribe": list_unsubscribe(unsubscribe), **list_headers_shared(newsletter)}


def sender(newsletter: Newsletter) -> str:
    """``Name <address>``, the name left as Unicode: the mail backend encodes it."""
    return str(Address(display_name=newsletter.from_name, addr_spec=newsletter.from_email))


def digest_message(
    *, digest: Digest, rendered: RenderedDigest, fields: dict[str, str], to: str, subject: str | None = None
) -> EmailMultiAlternatives:
    """One reader's multipart copy of a digest: text, HTML, list headers."""
    newsletter = digest.newsletter
    message = EmailMultiAlternatives(
        subject=" ".join((subject or digest.subject).split()),
        body=digest_personalize(body=rendered.text, fields=fields, html=False),
        from_email=sender(newsletter),
        to=[to],
        reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
        headers=list_headers(newsletter=newsletter, unsubscribe=fields["unsubscribe_url"]),
    )
    message.attach_alternative(digest_personalize(body=rendered.html, fields=fields, html=True), "text/html")
    return message


def digest_body(digest: Digest) -> RenderedDigest:
    """The stored body once approved (what readers get); a fresh render of a draft."""
    if digest.rendered_at and digest.html:
        return RenderedDigest(html=digest.html, text=digest.text)
    return digest_render(digest=digest)


def staff_fields(*, digest: Digest, user) -> dict[str, str]:
    """A staff member's own personal fields, as a reader with their address would get.

    Their unsubscribe link is their subscriber row's when they are on the list; if they
    are not, it carries id 0, which matches nobody (the link still has the real shape).
    """
    subscriber_id = (
        Subscriber.objects.with_email(user.email).values_list("pk", flat=True).first() if user.email else None
    )
    return {
        "name": user.get_short_name() or user.get_full_name(),
        "unsubscribe_url": unsubscribe_url(subscriber_id or 0, digest.newsletter_id),
        "web_url": digest_web_url(digest),
    }


def digest_send_test(*, digest: Digest, user) -> str:
    """Send the digest, as a reader would get it, to the staff member's own address only.
    Returns the address it went to."""
    if not user.email:
        raise ValueError(_("Your account has no email address: add one to receive test sends."))
    with translation.override(digest.newsletter.language):
        subject = _("[Test] %(subject)s") % {"subject": digest.subject}
    message = digest_message(
        digest=digest, rendered=digest_body(digest), fields=staff_fields(digest=digest, user=user),
        to=user.email, subject=subject,
    )
    message.send()
    return user.email


def staff_notify_draft(*, digest: Digest) -> int:
    """Tell every active staff member with an address that a draft waits, with a link.
    One message each: staff addresses are not shown to one another."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    context = {"digest": digest, "newsletter": digest.newsletter, "admin_url": digest_admin_url(digest.pk)}
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("email/digest_waiting.subject.txt", context).split())
        body = render_to_string("email/digest_waiting.txt", context)
    for user in staff:
        sent += EmailMultiAlternatives(subject=subject, body=body, to=[user.email]).send()
    return sent
