"""Copy-paste HTML for the news site's sidebar, shown on the newsletter's admin page."""

from django.conf import settings
from django.utils.html import escape

IFRAME = """<iframe src="{site}/{lang}/subscribe/embed/" width="300" height="480" loading="lazy"
        style="border:0;max-width:100%" title="{title}"></iframe>"""

# Works without any script; the reader lands on Nashra's result page. The origin of the
# page it sits on must be listed in SIGNUP_FRAME_ANCESTORS, or the post is refused.
FORM = """<form action="{site}/{lang}/subscribe/" method="post" dir="{dir}" style="max-width:300px">
  <input type="hidden" name="source" value="snippet">
  <p><label>{name_label}<br><input name="name" maxlength="100" autocomplete="name" style="width:100%"></label></p>
  <p><label>{email_label}<br><input name="email" type="email" required dir="ltr" autocomplete="email" style="width:100%"></label></p>
  <input name="website" tabindex="-1" autocomplete="off" aria-hidden="true" style="position:absolute;left:-10000px">
  <button type="submit">{button}</button>
</form>"""

LABELS = {
    "ar": {"name_label": "الاسم", "email_label": "البريد الإلكتروني", "button": "اشترك الآن", "dir": "rtl"},
    "en": {"name_label": "Your name", "email_label": "Your email address", "button": "Subscribe now", "dir": "ltr"},
}


def signup_snippets(*, title: str, language: str) -> dict[str, str]:
    lang = language if language in LABELS else "ar"
    values = {"site": settings.SITE_URL, "lang": lang, "title": escape(title), **LABELS[lang]}
    return {"iframe": IFRAME.format(**values), "form": FORM.format(**values)}
