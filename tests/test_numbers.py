"""Numbers as the admin's language writes them, with Arabic's six plural forms."""

import pytest
from django.utils import translation

from subscriptions.numbers import counted, format_number, format_percent


@pytest.mark.parametrize("count, expected", [
    (0, "لا مشتركين"),
    (1, "مشترك واحد"),
    (2, "مشتركان"),
    (3, "3 مشتركين"),
    (11, "11 مشتركًا"),
    (100, "100 مشترك"),
    (1000, "1.000 مشترك"),
])
def test_arabic_plural_forms_of_subscribers(count, expected):
    with translation.override("ar"):
        assert counted("subscribers", count) == expected


@pytest.mark.parametrize("count, expected", [(0, "لا أيام"), (1, "يوم واحد"), (2, "يومان"), (3, "3 أيام"),
                                             (11, "11 يومًا"), (100, "100 يوم")])
def test_arabic_plural_forms_of_days(count, expected):
    with translation.override("ar"):
        assert counted("days", count) == expected


def test_english_has_two_forms():
    with translation.override("en"):
        assert [counted("subscribers", n) for n in (0, 1, 2, 1_000_000)] == [
            "0 subscribers", "1 subscriber", "2 subscribers", "1,000,000 subscribers"]


def test_numbers_and_percentages_follow_the_language():
    with translation.override("ar"):
        assert format_number(1_234_567) == "1.234.567"
        assert format_percent(0.0012, 2) == "0,12٪"
    with translation.override("en"):
        assert format_number(1_234_567) == "1,234,567"
        assert format_percent(0.0012, 2) == "0.12%"
    assert format_percent(None) == "—"
