import time

from django.core import signing

from subscriptions.forms import FORM_TS_SALT


def aged_ts(seconds: float) -> str:
    """A genuine form timestamp, as if the form was rendered ``seconds`` ago."""
    stamp = signing.b62_encode(int(time.time() - seconds))
    return signing.Signer(salt=FORM_TS_SALT).sign(f"signup:{stamp}")
