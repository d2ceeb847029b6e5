"""Writes of the articles domain. Imports call these inside their run's transaction."""

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext

from newsroom.importers import Item
from newsroom.models import Article, ArticleSource, Section, SourceCategory

# Fields an import owns; editors' picks and views belong to Nashra.
IMPORTED_FIELDS = [
    "title",
    "slug",
    "url",
    "summary",
    "image_url",
    "author",
    "section",
    "published_at",
    "status",
]
CHUNK = 1000  # ids per IN (...) query: far below every database's parameter limit
VIEWS_WINDOW = timedelta(days=30)  # the digest ranks recent articles only


def articles_upsert(*, source: ArticleSource, items: list[Item], now: datetime) -> tuple[int, int]:
    """Create or update the source's articles from ``items``, keyed on (source, external
    id). Returns (new, updated); an article whose fields did not change is not written
    and not counted, so a repeated run reports 0 updated."""
    latest: dict[str, Item] = {}
    for item in items:  # a post listed twice (pages shifted mid-run): keep its newest state
        seen = latest.get(item.external_id)
        if seen is None or (item.modified_at or now) >= (seen.modified_at or now):
            latest[item.external_id] = item
    if not latest:
        return 0, 0
    sections = sections_for_categories(source=source, names={primary_category(i) for i in latest.values()})
    existing = {}
    ids = list(latest)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        existing |= {
            a.external_id: a for a in Article.objects.filter(source=source.slug, external_id__in=chunk)
        }

    created, changed = [], []
    for external_id, item in latest.items():
        values = imported_values(item, section=sections[primary_category(item)])
        article = existing.get(external_id)
        if article is None:
            # A feed entry without a date is news from the moment we first saw it.
            values["published_at"] = values["published_at"] or now
            created.append(Article(source=source.slug, external_id=external_id, **values))
            continue
        if values["published_at"] is None:
            del values["published_at"]
        diff = {field: value for field, value in values.items() if getattr(article, field) != value}
        if diff:
            for field, value in diff.items():
                setattr(article, field, value)
            article.updated_at = now
            changed.append(article)
    Article.objects.bulk_create(created, batch_size=CHUNK)
    Article.objects.bulk_update(changed, [*IMPORTED_FIELDS, "updated_at"], batch_size=500)
    return len(created), len(changed)


def imported_values(item: Item, *, section: Section) -> dict:
    return {
        "title": item.title,
        "slug": item.slug,
        "url": item.url,
        "summary": item.summary,
        "image_url": item.image_url,
        "author": item.author,
        "section_id": section.pk,
        "published_at": item.published_at,
        "status": Article.Status.PUBLISHED if item.published else Article.Status.DRAFT,
    }


def articles_unpublish(*, source: ArticleSource, external_ids: Collection[str], now: datetime) -> int:
    """Back to draft: the source deleted or unpublished them. Kept, not deleted, so a
    digest that already listed one keeps its row."""
    ids, count = list(external_ids), 0
    for start in range(0, len(ids), CHUNK):
        count += Article.objects.filter(
            source=source.slug, external_id__in=ids[start : start + CHUNK], status=Article.Status.PUBLISHED
        ).update(status=Article.Status.DRAFT, updated_at=now)
    return count


def primary_category(item: Item) -> str:
    return item.categories[0] if item.categories else ""


def sections_for_categories(*, source: ArticleSource, names: set[str]) -> dict[str, Section]:
    """category name → section, through the source's mapping. A category met for the
    first time goes to the section of that name, or to a new one; either way a mapping
    row records it, and editors re-point it in the admin. "" (no category) goes to the
    source's default section."""
    mapping = {m.category: m.section for m in source.categories.select_related("section")}
    if "" in names:
        mapping[""] = source.default_section or section_uncategorised()
    for name in sorted(names - mapping.keys()):
        section = Section.objects.filter(name__iexact=name).order_by("id").first() or section_create(
            name=name
        )
        SourceCategory.objects.create(source=source, category=name, section=section)
        mapping[name] = section
    return mapping


def section_create(*, name: str) -> Section:
    base = slugify(name, allow_unicode=True)[:90] or "section"
    slug, n = base, 1
    while Section.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return Section.objects.create(name=name[:100], slug=slug, order=Section.objects.count() + 1)


def section_uncategorised() -> Section:
    section, _ = Section.objects.get_or_create(
        slug="uncategorised", defaults={"name": gettext("Uncategorised")}
    )
    return section


def article_views_set(*, source: ArticleSource, views: Mapping[str, int], now: datetime) -> int:
    """Write the source's 7-day views: an article's count is looked up by external id,
    then by URL; an article the provider does not list had no views worth counting (0).
    Covers the last ``VIEWS_WINDOW`` of articles, and any older one still showing views.
    Returns how many articles the provider listed."""
    articles = (
        Article.objects.filter(source=source.slug)
        .filter(Q(published_at__gte=now - VIEWS_WINDOW) | Q(views__gt=0))
        .only("id", "external_id", "url", "views")
    )
    changed, listed = [], 0
    for article in articles.iterator(chunk_size=CHUNK):
        count = views.get(article.external_id, views.get(article.url))
        listed += count is not None
        if article.views != (count or 0):
            article.views = count or 0
            changed.append(article)
    Article.objects.bulk_update(changed, ["views"], batch_size=500)
    return listed
