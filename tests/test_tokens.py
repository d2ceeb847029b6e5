import pytest

from subscriptions import tokens
from subscriptions.models import Subscriber
from tests.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending():
    return SubscriberFactory(status=Subscriber.Status.PENDING, email="amal@example.com")


def test_a_confirm_token_round_trips(pending):
    token = tokens.make_confirm_token(pending, [3, 1])
    claim, state = tokens.read_confirm_token(token)
    assert claim == tokens.ConfirmClaim(pending.pk, (1, 3))
    assert tokens.confirm_token_matches(pending, state)


def test_a_confirm_token_dies_when_the_status_changes(pending):
    _, state = tokens.read_confirm_token(tokens.make_confirm_token(pending, [1]))
    pending.status = Subscriber.Status.CONFIRMED
    assert not tokens.confirm_token_matches(pending, state)


def test_a_confirm_token_expires(pending, settings, monkeypatch):
    settings.CONFIRM_TOKEN_MAX_AGE = 3600
    token = tokens.make_confirm_token(pending, [1])
    real_now = tokens._now()
    monkeypatch.setattr(tokens, "_now", lambda: real_now + 3601)
    with pytest.raises(tokens.ExpiredToken):
        tokens.read_confirm_token(token)


def test_a_tampered_token_is_refused(pending):
    token = tokens.make_confirm_token(pending, [1])
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(tokens.InvalidToken):
        tokens.read_confirm_token(flipped)
    with pytest.raises(tokens.InvalidToken):
        tokens.read_confirm_token("not-a-token")


def test_tokens_of_one_purpose_are_refused_by_another(pending):
    unsubscribe = tokens.make_unsubscribe_token(pending.pk, 1)
    with pytest.raises(tokens.InvalidToken):
        tokens.read_confirm_token(unsubscribe)
    with pytest.raises(tokens.InvalidToken):
        tokens.read_unsubscribe_token(tokens.make_confirm_token(pending, [1]))


def test_an_unsubscribe_token_never_expires(pending, monkeypatch):
    token = tokens.make_unsubscribe_token(pending.pk, 7)
    monkeypatch.setattr(tokens, "_now", lambda: 4_000_000_000)
    assert tokens.read_unsubscribe_token(token) == (pending.pk, 7)


def test_tokens_carry_no_address(pending):
    for token in (tokens.make_confirm_token(pending, [1]), tokens.make_unsubscribe_token(pending.pk, 1)):
        assert "amal" not in token and "example" not in token
