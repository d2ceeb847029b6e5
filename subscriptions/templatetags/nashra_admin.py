"""Filters for the admin dashboard: numbers and rates in the editor's language."""

from django import template

from subscriptions.numbers import counted as counted_phrase
from subscriptions.numbers import format_number, format_percent

register = template.Library()


@register.filter
def number(value):
    return "—" if value is None else format_number(value)


@register.filter
def percent(value):
    return format_percent(value)


@register.filter
def counted(value, kind):
    """``{{ n|counted:"subscribers" }}`` → "3 مشتركين"."""
    return counted_phrase(kind, value or 0)


@register.filter
def rate(performance, name):
    """``{{ row|rate:"opened"|percent }}``: a DigestPerformance's rate by name."""
    return performance.rate(name)


@register.filter
def stat(performance, name):
    return getattr(performance.stat, name)
