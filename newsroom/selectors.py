"""Read-only queries of the newsroom app (articles, worker heartbeats). Other apps
(subscriptions) read them only through here."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, QuerySet

from newsroom.models import Article, Section, WorkerHeartbeat


def articles_published_between(
    *, start: datetime, end: datetime, exclude_ids: Iterable[int] | QuerySet | None = None
) -> QuerySet[Article]:
    """Published articles with ``start <= published_at < end``, newest first.

    ``exclude_ids`` may be a queryset of ids (``values("article_id")``): it becomes a
    subquery, so the caller's "already used" articles cost no extra round trip.
    """
    articles = Article.objects.filter(
        status=Article.Status.PUBLISHED, published_at__gte=start, published_at__lt=end
    )
    if exclude_ids is not None:
        articles = articles.exclude(pk__in=exclude_ids)
    return articles.select_related("section").order_by("-published_at", "-id")


def articles_by_ids(*, ids: Iterable[int]) -> dict[int, Article]:
    """The articles with these ids (any status), with their section, in one query."""
    return {a.pk: a for a in Article.objects.filter(pk__in=list(ids)).select_related("section")}


def sections_in_order() -> QuerySet[Section]:
    return Section.objects.order_by("order", "id")


def worker_heartbeats(*, now: datetime, alive_within: timedelta) -> tuple[datetime | None, int]:
    """(the latest heartbeat of any worker, how many workers beat within
    ``alive_within`` of ``now``), in one query."""
    beats = WorkerHeartbeat.objects.aggregate(
        last=Max("seen_at"), alive=Count("pk", filter=Q(seen_at__gte=now - alive_within))
    )
    return beats["last"], beats["alive"]
