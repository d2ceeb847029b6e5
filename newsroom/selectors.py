"""Read-only article queries. Other apps (subscriptions) read articles only through here."""

from datetime import datetime

from django.db.models import QuerySet

from newsroom.models import Article, Section


def articles_published_between(*, start: datetime, end: datetime) -> QuerySet[Article]:
    """Published articles with ``start <= published_at < end``, newest first."""
    return (
        Article.objects.filter(
            status=Article.Status.PUBLISHED, published_at__gte=start, published_at__lt=end
        )
        .select_related("section")
        .order_by("-published_at", "-id")
    )


def sections_in_order() -> QuerySet[Section]:
    return Section.objects.order_by("order", "id")
