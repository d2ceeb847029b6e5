"""Numbers as the admin's language writes them: grouped digits, percentages, and
counted nouns with every plural form (Arabic has six: 0, 1, 2, 3–10, 11–99, 100+).

Separators come from Django's locale formats (``ar``: 1.000.000 and 0,25; ``en``:
1,000,000 and 0.25). Django's ``ar`` locale sets no digit grouping, so grouping by
three is forced here: a million must not read as 1000000.
"""

from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.translation import gettext, ngettext_lazy


def format_number(value: int | float, decimals: int | None = None) -> str:
    return numberformat.format(
        value,
        get_format("DECIMAL_SEPARATOR"),
        decimal_pos=decimals,
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )


def format_percent(ratio: float | None, decimals: int = 1) -> str:
    """0.0123 → "1.2%" / "1,2٪"; None (no base to divide by) → an em dash."""
    if ratio is None:
        return "—"
    # Translators: a percentage; Arabic uses its own percent sign (٪).
    return gettext("%(value)s%%") % {"value": format_number(ratio * 100, decimals)}


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# Counted phrases. ``count`` picks the plural form, ``shown`` is the formatted number
# (ngettext must see the number itself, not "1.000").
PHRASES = {
    "subscribers": ngettext_lazy("%(shown)s subscriber", "%(shown)s subscribers", "count"),
    "days": ngettext_lazy("%(shown)s day", "%(shown)s days", "count"),
    "batches": ngettext_lazy("%(shown)s batch", "%(shown)s batches", "count"),
    "workers": ngettext_lazy("%(shown)s worker", "%(shown)s workers", "count"),
    "minutes_ago": ngettext_lazy("%(shown)s minute ago", "%(shown)s minutes ago", "count"),
    "recipients": ngettext_lazy("%(shown)s recipient", "%(shown)s recipients", "count"),
}


def counted(kind: str, count: int) -> str:
    """``counted("subscribers", 3)`` → "3 subscribers" / "3 مشتركين"."""
    return PHRASES[kind] % {"count": count, "shown": format_number(count)}
