"""Runs of an article source: claim it, read it, write in one transaction, say how it went.

Plain functions called by the tasks, the admin's "run now" and ``import_articles``.
Reading (HTTP, parsing) happens before the transaction opens, so a slow source never
holds a database transaction; writing happens all at once, so a source that fails on its
third page leaves nothing behind and its resume point unchanged: the next run starts
where the last good one ended.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from newsroom import popularity, selectors, services
from newsroom.importers import IMPORTERS, ImportFailed, http
from newsroom.importers.detect import detect
from newsroom.models import Article, ArticleSource

logger = logging.getLogger(__name__)
ERROR_MAX = 2000


@dataclass
class RunResult:
    new: int = 0
    updated: int = 0
    unpublished: int = 0
    skipped: int = 0
    not_modified: bool = False
    more: bool = False  # a backlog remains: run again now
    error: str = ""


def source_import(*, source_id: int, full: bool = False, if_due: bool = False, now: datetime | None = None):
    """One run of the source. Returns its ``RunResult``, or None when it did not run: the
    source is gone, already running, or (``if_due``) not due yet. ``full`` ignores the
    resume point (ETag, Last-Modified, modified_after) and reads everything again."""
    now = now or timezone.now()
    source = ArticleSource.objects.filter(pk=source_id).first()
    if source is None or (if_due and source not in selectors.sources_due(now=now)):
        return None
    if not source_claim(source=source, now=now):
        return None
    try:
        result = run(source, full=full, now=now)
    except ImportFailed as exc:
        result = RunResult(error=str(exc))
    except Exception as exc:  # a bug or a database error: say so, keep the details in the log
        logger.exception("import of source %s failed", source.pk)
        result = RunResult(error=f"unexpected error: {exc.__class__.__name__}: {exc}")
    finally:
        ArticleSource.objects.filter(pk=source.pk).update(running_since=None)
    if result.error:
        logger.warning("import of source %s failed: %s", source.pk, result.error)
        ArticleSource.objects.filter(pk=source.pk).update(
            last_run_at=now,
            last_run_new=0,
            last_run_updated=0,
            last_run_deleted=0,
            last_run_skipped=0,
            last_run_error=result.error[:ERROR_MAX],
        )
    return result


def source_claim(*, source: ArticleSource, now: datetime) -> bool:
    """Mark the source as running unless a live run has it (a compare-and-set, so two
    workers never import the same source at once)."""
    free = Q(running_since__isnull=True) | Q(running_since__lt=selectors.run_stale_before(now))
    return bool(ArticleSource.objects.filter(free, pk=source.pk).update(running_since=now))


def run(source: ArticleSource, *, full: bool, now: datetime) -> RunResult:
    importer = IMPORTERS[source.kind]
    batch = importer.fetch(source, full=full)
    gone = set()
    if not batch.not_modified and not batch.more:
        since = now - timedelta(days=settings.IMPORT_RECONCILE_DAYS)
        listed = {item.external_id for item in batch.items}
        held = {
            eid: at
            for eid, at in selectors.articles_held(source=source, since=since).items()
            if eid not in listed
        }
        gone = importer.gone(source, batch, held) if held else set()
    with transaction.atomic():
        new, updated = services.articles_upsert(source=source, items=batch.items, now=now)
        unpublished = services.articles_unpublish(source=source, external_ids=gone, now=now)
        ArticleSource.objects.filter(pk=source.pk).update(
            last_run_at=now,
            last_run_new=new,
            last_run_updated=updated,
            last_run_deleted=unpublished,
            last_run_skipped=batch.skipped,
            last_run_error="",
            last_success_at=now,
            etag=batch.etag,
            last_modified=batch.last_modified,
            modified_after=batch.modified_after,
        )
    return RunResult(
        new=new,
        updated=updated,
        unpublished=unpublished,
        skipped=batch.skipped,
        not_modified=batch.not_modified,
        more=batch.more,
    )


def source_views_refresh(*, source_id: int, now: datetime | None = None) -> int | None:
    """Ask the source's popularity provider for the week's views and write them, in one
    transaction. Returns how many articles it listed; None without a provider."""
    now = now or timezone.now()
    source = ArticleSource.objects.filter(pk=source_id).first()
    provider = popularity.PROVIDERS.get(source.popularity) if source else None
    if provider is None:
        return None
    articles = list(
        Article.objects.filter(source=source.slug, published_at__gte=now - services.VIEWS_WINDOW).only(
            "id", "external_id", "url", "published_at"
        )
    )
    try:
        views = provider(source, articles, now=now)
        with transaction.atomic():
            listed = services.article_views_set(source=source, views=views, now=now)
    except ImportFailed as exc:
        ArticleSource.objects.filter(pk=source.pk).update(
            views_refreshed_at=now, views_error=str(exc)[:ERROR_MAX]
        )
        return None
    ArticleSource.objects.filter(pk=source.pk).update(views_refreshed_at=now, views_error="")
    return listed


def source_for_location(
    *, location: str, kind: str | None = None, name: str = ""
) -> tuple[ArticleSource, bool]:
    """The source ``import_articles LOCATION`` means: a configured one (by slug or
    address) or a new one, saved disabled so beat does not start polling what someone
    imported once. Returns (source, created)."""
    location = location.strip()
    found = ArticleSource.objects.filter(Q(slug=location) | Q(url=location)).order_by("id").first()
    if found:
        return found, False
    if http.is_local(location):
        path = http.local_path(location).expanduser().resolve()
        if not path.is_file():
            raise ImportFailed(f"no such file: {location}")
        location = str(path)
    if kind is None:
        kind, url = detect(location)
    else:
        url = location
    found = ArticleSource.objects.filter(url=url).order_by("id").first()
    if found:
        return found, False
    name = name or default_name(url)
    source = ArticleSource.objects.create(
        name=name[:200], slug=unique_source_slug(name), kind=kind, url=url, enabled=False
    )
    return source, True


def default_name(url: str) -> str:
    if http.is_local(url):
        return Path(url).name
    parts = urlsplit(url)
    return (parts.netloc + parts.path).rstrip("/")


def unique_source_slug(name: str) -> str:
    base = slugify(re.sub(r"[\W_]+", "-", name), allow_unicode=True)[:90] or "source"
    slug, n = base, 1
    while ArticleSource.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug
