"""The web version of a digest: the stored email body with every personal field
replaced by a neutral value, plus what a page needs (canonical URL, share-card tags, a
signup invitation). Kept apart from the views so the admin preview can reuse it."""

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from subscriptions.links import digest_web_url, home_url
from subscriptions.models import Digest
from subscriptions.personalize import digest_personalize
from subscriptions.rendering import RenderedDigest


def neutral_fields(digest: Digest) -> dict[str, str]:
    """No reader: no name (the greeting reads "مرحباً،"), and the footer's unsubscribe
    link leads to the newsletter's home rather than anyone's token."""
    return {
        "name": "",
        "unsubscribe_url": home_url(language=digest.newsletter.language),
        "web_url": digest_web_url(digest),
    }


def signup_path() -> str:
    """The signup page once it exists on this deployment, else the home page (which
    explains the newsletter and links to it)."""
    try:
        return reverse("subscriptions:subscribe")
    except NoReverseMatch:
        return reverse("subscriptions:home")


def first_image(digest: Digest) -> str:
    from newsroom.selectors import articles_by_ids

    ids = list(digest.items.order_by("position", "id").values_list("article_id", flat=True)[:10])
    articles = articles_by_ids(ids=ids)
    return next((articles[i].image_url for i in ids if i in articles and articles[i].image_url), "")


def web_version(*, digest: Digest, body: RenderedDigest, request=None) -> str:
    """A full HTML page: the email as readers saw it, with share-card tags in <head>
    and a signup invitation before </body>."""
    newsletter = digest.newsletter
    with translation.override(newsletter.language):
        context = {
            "digest": digest,
            "newsletter": newsletter,
            "canonical": digest_web_url(digest),
            "description": (digest.intro.strip().split("\n")[0] or newsletter.description)[:300],
            "image": first_image(digest),
            "signup_url": signup_path(),
        }
        head = render_to_string("subscriptions/web_version_head.html", context, request=request)
        foot = render_to_string("subscriptions/web_version_signup.html", context, request=request)
    html = digest_personalize(body=body.html, fields=neutral_fields(digest), html=True)
    return html.replace("</head>", head + "</head>", 1).replace("</body>", foot + "</body>", 1)
