"""Signed tokens for the links in emails: confirm, unsubscribe, preferences.

Like Django's PasswordResetTokenGenerator, nothing is stored: a token is an HMAC
(SECRET_KEY, a salt per purpose) over a small payload, so there is no table to clean
and no database secret inside. Separate salts mean a token minted for one purpose is
refused by the others.

- confirm: expires after CONFIRM_TOKEN_MAX_AGE, and dies as soon as the subscriber's
  email or status changes (the payload carries a hash of that state), so a link can
  confirm at most once and not after an unsubscribe.
- unsubscribe: never expires; identifies the subscriber and the newsletter.
- preferences: identifies the subscriber; expires after PREFERENCES_TOKEN_MAX_AGE.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

CONFIRM_SALT = "nashra.tokens.confirm"
UNSUBSCRIBE_SALT = "nashra.tokens.unsubscribe"
PREFERENCES_SALT = "nashra.tokens.preferences"
PREFERENCES_TOKEN_MAX_AGE = 180 * 24 * 3600


class InvalidToken(Exception):
    """Tampered, foreign (another purpose) or malformed."""


class ExpiredToken(InvalidToken):
    """Genuine but too old, or the subscriber's state moved on since it was made."""

    def __init__(self, subscriber_id: int | None = None):
        super().__init__("token expired")
        self.subscriber_id = subscriber_id


@dataclass(frozen=True)
class ConfirmClaim:
    subscriber_id: int
    newsletter_ids: tuple[int, ...]


def _state_hash(subscriber) -> str:
    value = f"{subscriber.pk}:{subscriber.email.lower()}:{subscriber.status}"
    return salted_hmac(CONFIRM_SALT, value, algorithm="sha256").hexdigest()[:16]


def _now() -> float:
    """Seam for tests: the clock tokens are stamped with and checked against."""
    return time.time()


class _Signer(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(_now()))

    def unsign(self, value, max_age=None):
        # Same as Django's, but against _now() so tests can move the clock.
        result = super(signing.TimestampSigner, self).unsign(value)
        value, timestamp = result.rsplit(self.sep, 1)
        timestamp = signing.b62_decode(timestamp)
        if max_age is not None and _now() - timestamp > max_age:
            raise signing.SignatureExpired("Signature age > %s seconds" % max_age)
        return value


def _dumps(obj, salt: str) -> str:
    return _Signer(salt=salt).sign_object(obj, compress=True)


def _loads(token: str, salt: str, max_age: int | None):
    try:
        return _Signer(salt=salt).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredToken() from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken() from exc


# --------------------------------------------------------------------------- confirm
def make_confirm_token(subscriber, newsletter_ids) -> str:
    return _dumps([subscriber.pk, sorted(newsletter_ids), _state_hash(subscriber)], CONFIRM_SALT)


def read_confirm_token(token: str) -> tuple[ConfirmClaim, str]:
    """Check signature and age; return the claim and the state hash to compare later."""
    payload = _loads(token, CONFIRM_SALT, settings.CONFIRM_TOKEN_MAX_AGE)
    try:
        subscriber_id, newsletter_ids, state = payload
        claim = ConfirmClaim(int(subscriber_id), tuple(int(n) for n in newsletter_ids))
    except (TypeError, ValueError) as exc:
        raise InvalidToken() from exc
    return claim, str(state)


def confirm_token_matches(subscriber, state: str) -> bool:
    """False once the subscriber's email or status changed since the token was made."""
    return constant_time_compare(_state_hash(subscriber), state)


# --------------------------------------------------------------------------- unsubscribe
def make_unsubscribe_token(subscriber_id: int, newsletter_id: int) -> str:
    """Never expires: an unsubscribe link in a years-old email must still work.

    Takes ids, not objects: the sending path mints one per recipient from plain rows.
    """
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([subscriber_id, newsletter_id], compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, int]:
    try:
        subscriber_id, newsletter_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        return int(subscriber_id), int(newsletter_id)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise InvalidToken() from exc


# --------------------------------------------------------------------------- preferences
def make_preferences_token(subscriber_id: int) -> str:
    return _dumps([subscriber_id], PREFERENCES_SALT)


def read_preferences_token(token: str) -> int:
    payload = _loads(token, PREFERENCES_SALT, PREFERENCES_TOKEN_MAX_AGE)
    try:
        (subscriber_id,) = payload
        return int(subscriber_id)
    except (TypeError, ValueError) as exc:
        raise InvalidToken() from exc
