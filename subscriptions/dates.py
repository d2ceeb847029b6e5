"""Date ranges for digest subjects and headers, in the newsletter's language.

Month names are spelled out here rather than taken from Django's locale data, because
Arabic has two sets in daily use: the standard names (يناير، فبراير…) and the Levantine
ones (كانون الثاني، شباط…) that Syrian, Lebanese, Jordanian and Palestinian readers
expect. A newsletter picks one (``Newsletter.month_names``).
"""

from datetime import date, datetime, timedelta

MONTHS = {
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
    "ar": [
        "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
        "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
    ],
    "ar-levant": [
        "كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران",
        "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول",
    ],
}


def month_names(language: str, *, levantine: bool = False) -> list[str]:
    if language.startswith("ar"):
        return MONTHS["ar-levant" if levantine else "ar"]
    return MONTHS["en"]


def period_days(start: datetime, end: datetime) -> tuple[date, date]:
    """The first and last calendar day of ``[start, end)`` (both aware, local time).

    A period ending at midnight does not include the day that midnight starts.
    """
    last = end - timedelta(microseconds=1)
    return start.date(), last.date()


def date_range(first: date, last: date, *, language: str, levantine: bool = False) -> str:
    """``20–26 November 2026``, ``28 November – 4 December 2026``, across years in full.

    Western digits, as the site's Arabic pages use them.
    """
    months = month_names(language, levantine=levantine)

    def day_month(d: date) -> str:
        return f"{d.day} {months[d.month - 1]}"

    if first == last:
        return f"{day_month(first)} {first.year}"
    if first.year != last.year:
        return f"{day_month(first)} {first.year} – {day_month(last)} {last.year}"
    if first.month != last.month:
        return f"{day_month(first)} – {day_month(last)} {last.year}"
    return f"{first.day}–{last.day} {months[last.month - 1]} {last.year}"
