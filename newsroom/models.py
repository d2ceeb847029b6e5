"""The news site's articles, grouped in sections. Imports keep them current."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Section(models.Model):
    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        # The light/entertainment section closes every digest.
        LIGHT = "light", _("Light / entertainment")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.NEWS)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.name


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=300, allow_unicode=True, blank=True)
    url = models.URLField(_("canonical URL"), max_length=1000)
    summary = models.TextField(_("summary"), blank=True)
    image_url = models.URLField(_("image URL"), max_length=1000, blank=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.PROTECT, related_name="articles"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    editors_pick = models.BooleanField(_("editors' pick"), default=False)
    # Page views over the last 7 days, as reported by the site's popularity source.
    views = models.PositiveIntegerField(_("views"), default=0)
    # Where an imported article came from; empty for articles typed in the admin.
    source = models.CharField(_("source"), max_length=100, blank=True, default="")
    external_id = models.CharField(_("external id"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        constraints = [
            # Imports upsert on this pair; hand-made articles (no external id) are exempt.
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="article_unique_source_external_id",
            ),
        ]
        indexes = [
            # "published between" — the digest's selection query.
            models.Index(fields=["status", "published_at"], name="article_status_published"),
        ]

    def __str__(self):
        return self.title


class ArticleSource(models.Model):
    """A place Nashra reads articles from: a WordPress site's REST API or an RSS/Atom feed.

    Polled by beat every ``poll_minutes``; each run is one transaction and leaves its
    outcome in the ``last_run_*`` fields. ``etag``, ``last_modified`` and
    ``modified_after`` are where the next run resumes.
    """

    class Kind(models.TextChoices):
        WORDPRESS = "wordpress", _("WordPress REST API")
        FEED = "feed", _("RSS/Atom feed")

    class Popularity(models.TextChoices):
        NONE = "none", _("None")
        WORDPRESS_POPULAR_POSTS = "wpp", _("WordPress Popular Posts plugin")
        POST_VIEWS_COUNTER = "pvc", _("Post Views Counter plugin")
        URL = "url", _("CSV or JSON file at a URL")

    name = models.CharField(_("name"), max_length=200)
    # Stored on every imported article (Article.source): never changes after creation.
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.WORDPRESS)
    url = models.CharField(
        _("URL"),
        max_length=1000,
        help_text=_("The site or its /wp-json/ address for WordPress; the feed address for RSS/Atom."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    poll_minutes = models.PositiveSmallIntegerField(
        _("poll every (minutes)"), default=15, validators=[MinValueValidator(1)]
    )
    default_section = models.ForeignKey(
        Section,
        verbose_name=_("default section"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For articles that arrive without a category."),
    )
    popularity = models.CharField(
        _("popularity provider"), max_length=10, choices=Popularity, default=Popularity.NONE
    )
    popularity_url = models.CharField(
        _("popularity URL"),
        max_length=1000,
        blank=True,
        help_text=_("The CSV/JSON file of views; for the plugins, only to override the site's address."),
    )

    # Where the next run resumes.
    etag = models.CharField(_("ETag"), max_length=500, blank=True)
    last_modified = models.CharField(_("Last-Modified"), max_length=100, blank=True)
    modified_after = models.DateTimeField(_("modified after"), null=True, blank=True)

    # A run in progress: a second run of the same source waits until this one ends (or is
    # older than the task time limit, when its worker must have died).
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_run_new = models.PositiveIntegerField(_("new"), default=0)
    last_run_updated = models.PositiveIntegerField(_("updated"), default=0)
    last_run_deleted = models.PositiveIntegerField(_("unpublished"), default=0)
    last_run_skipped = models.PositiveIntegerField(_("skipped"), default=0)
    last_run_error = models.TextField(_("last error"), blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)

    views_refreshed_at = models.DateTimeField(_("views refreshed"), null=True, blank=True)
    views_error = models.TextField(_("views error"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("article source")
        verbose_name_plural = _("article sources")

    def __str__(self):
        return self.name


class SourceCategory(models.Model):
    """Which section a source's category lands in. Imports add a row (and a section) for
    every category they meet the first time; editors re-point rows in the admin."""

    source = models.ForeignKey(ArticleSource, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(_("category"), max_length=200)
    section = models.ForeignKey(
        Section, verbose_name=_("section"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["category"]
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")
        constraints = [
            models.UniqueConstraint(fields=["source", "category"], name="sourcecategory_unique_category"),
        ]

    def __str__(self):
        return f"{self.category} → {self.section}"


class WorkerHeartbeat(models.Model):
    """One row per Celery worker host, touched by a beat task every minute."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
