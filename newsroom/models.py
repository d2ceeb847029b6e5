"""The news site's articles, grouped in sections. Imports keep them current."""

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


class WorkerHeartbeat(models.Model):
    """One row per Celery worker host, touched by a beat task every minute."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
