"""The signup form: validation only. What a valid signup does lives in services."""

import re
import time
import unicodedata

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from subscriptions.normalize import normalize_email

NAME_MAX = 100
# Bidi embedding/override/isolate controls: they make a name render as something else
# ("evil‮gpj.exe") in the admin and in email headers.
BIDI_CONTROLS = set(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
# A name is not a place for links or addresses: signup forms are abused to put spam
# ("Win a prize at http://…") into emails sent to strangers.
LINKISH = re.compile(r"(://|www\.|@)", re.IGNORECASE)

FORM_TS_SALT = "nashra.signup.rendered"
# A human needs more than this to read a form and type an address into it.
MIN_FILL_SECONDS = 2
# A form older than this is stale: reload it (and get a fresh timestamp).
MAX_FORM_AGE = 24 * 3600
HONEYPOT_FIELD = "website"


def form_timestamp() -> str:
    """A signed 'rendered at' value for the hidden ``ts`` field."""
    return signing.TimestampSigner(salt=FORM_TS_SALT).sign("signup")


def form_age(value: str) -> float | None:
    """Seconds since the form was rendered; None when the value is not ours or stale."""
    signer = signing.TimestampSigner(salt=FORM_TS_SALT)
    try:
        signer.unsign(value, max_age=MAX_FORM_AGE)  # SignatureExpired is a BadSignature
    except signing.BadSignature:
        return None
    # "signup:<timestamp>:<signature>"
    return time.time() - signing.b62_decode(value.rsplit(signer.sep, 2)[1])


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX, required=False, strip=True)
    email = forms.EmailField(label=_("Your email address"), max_length=254)

    def clean_name(self):
        name = self.cleaned_data["name"]
        for char in name:
            if char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Zl", "Zp"):
                raise forms.ValidationError(
                    _("The name contains a control character or line break; please type it again."),
                    code="control",
                )
        if LINKISH.search(name):
            raise forms.ValidationError(_("A name cannot contain links or email addresses."), code="link")
        return name

    def clean_email(self):
        try:
            return normalize_email(self.cleaned_data["email"])
        except ValueError:
            raise forms.ValidationError(_("Enter a valid email address."), code="invalid") from None


def is_bot_submission(data) -> bool:
    """The honeypot: a field hidden from people that simple bots fill in."""
    return bool(str(data.get(HONEYPOT_FIELD, "") or "").strip())


def allowed_origins(request) -> set[str]:
    """Sites whose pages may post the form: this one and those allowed to frame it."""
    own = f"{request.scheme}://{request.get_host()}"
    site = settings.SITE_URL
    return {own, site, *settings.SIGNUP_FRAME_ANCESTORS}


class PreferencesForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=NAME_MAX, required=False, strip=True)
    language = forms.ChoiceField(label=_("Language of the emails"), choices=settings.LANGUAGES)
    newsletters = forms.MultipleChoiceField(
        label=_("Newsletters"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, newsletters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["newsletters"].choices = [(str(n.pk), n.name) for n in newsletters]

    clean_name = SignupForm.clean_name
