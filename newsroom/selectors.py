"""Read-only queries of the newsroom app (articles, worker heartbeats). Other apps
(subscriptions) read them only through here."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from newsroom.models import Article, ArticleSource, Section, WorkerHeartbeat


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


def articles_ranked(articles: Iterable[Article], *, clicks: Mapping[int, int] | None = None) -> list[Article]:
    """The digest's order: editors' picks first, then the most viewed on the site
    (``Article.views``, 7 days, from the source's popularity provider), then the most
    clicked in Nashra's own past digests, then the newest.

    ``clicks`` is the hook for those own clicks: article id → human clicks. newsroom does
    not count them (it knows nothing of digests); the caller that does passes them in.
    """
    clicks = clicks or {}

    def key(article: Article):
        published = article.published_at.timestamp() if article.published_at else float("-inf")
        return (not article.editors_pick, -article.views, -clicks.get(article.pk, 0), -published, -article.pk)

    return sorted(articles, key=key)


def articles_ranked_between(
    *, start: datetime, end: datetime, clicks: Mapping[int, int] | None = None
) -> list[Article]:
    """``articles_published_between`` in ``articles_ranked`` order."""
    return articles_ranked(articles_published_between(start=start, end=end), clicks=clicks)


def sections_in_order() -> QuerySet[Section]:
    return Section.objects.order_by("order", "id")


def articles_held(*, source: ArticleSource, since: datetime) -> dict[str, datetime | None]:
    """external id → published at, for the source's published articles since ``since``:
    the ones an import checks are still there."""
    return dict(
        Article.objects.filter(
            source=source.slug, status=Article.Status.PUBLISHED, published_at__gte=since
        ).values_list("external_id", "published_at")
    )


def run_stale_before(now: datetime) -> datetime:
    """A run that started before this is dead: no task lives past the time limit."""
    return now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def sources_due(*, now: datetime) -> list[ArticleSource]:
    """Enabled sources whose last run is ``poll_minutes`` old or more (or never ran),
    and that are not running now."""
    not_running = Q(running_since__isnull=True) | Q(running_since__lt=run_stale_before(now))
    return [
        source
        for source in ArticleSource.objects.filter(not_running, enabled=True)
        if source.last_run_at is None or source.last_run_at <= now - timedelta(minutes=source.poll_minutes)
    ]


def sources_with_popularity() -> QuerySet[ArticleSource]:
    return ArticleSource.objects.filter(enabled=True).exclude(popularity=ArticleSource.Popularity.NONE)


def worker_heartbeats(*, now: datetime, alive_within: timedelta) -> tuple[datetime | None, int]:
    """(the latest heartbeat of any worker, how many workers beat within
    ``alive_within`` of ``now``), in one query."""
    beats = WorkerHeartbeat.objects.aggregate(
        last=Max("seen_at"), alive=Count("pk", filter=Q(seen_at__gte=now - alive_within))
    )
    return beats["last"], beats["alive"]
