from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from newsroom import tasks
from newsroom.importers.sanitize import web_url
from newsroom.models import Article, ArticleSource, Section, SourceCategory, WorkerHeartbeat


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "order"]
    list_editable = ["order"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "section", "published_at", "status", "editors_pick", "views"]
    list_filter = ["status", "editors_pick", "section", "source"]
    list_editable = ["editors_pick"]
    list_select_related = ["section"]
    search_fields = ["title", "summary", "author", "url"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["section"]
    readonly_fields = ["source", "external_id", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "url", "section", "summary", "image_url", "author"]}),
        (None, {"fields": ["status", "published_at", "editors_pick", "views"]}),
        (None, {"fields": ["source", "external_id", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at"]

    def has_add_permission(self, request):
        return False


class SourceCategoryInline(admin.TabularInline):
    """The source's categories and the section each lands in. Imports add a row the first
    time they meet a category; re-pointing it moves that category's next imports."""

    model = SourceCategory
    extra = 0
    autocomplete_fields = ["section"]


class ArticleSourceForm(forms.ModelForm):
    class Meta:
        model = ArticleSource
        fields = "__all__"

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if self.instance.pk and url == self.instance.url:
            return url  # a file source made by import_articles stays as it was
        if not web_url(url):
            raise ValidationError(
                _(
                    "Enter an http:// or https:// address. "
                    "Local files are imported with the import_articles command."
                )
            )
        return url


@admin.register(ArticleSource)
class ArticleSourceAdmin(admin.ModelAdmin):
    form = ArticleSourceForm
    list_display = [
        "name",
        "kind",
        "enabled",
        "poll_minutes",
        "last_run_at",
        "last_run",
        "views_refreshed_at",
    ]
    list_filter = ["kind", "enabled", "popularity"]
    search_fields = ["name", "slug", "url"]
    autocomplete_fields = ["default_section"]
    inlines = [SourceCategoryInline]
    actions = ["run_now", "run_now_full", "refresh_views_now"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = [
        "last_run_at",
        "last_run",
        "last_run_error",
        "last_success_at",
        "running_since",
        "views_refreshed_at",
        "views_error",
        "modified_after",
        "etag",
        "last_modified",
    ]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "url", "enabled", "poll_minutes", "default_section"]}),
        (_("Popularity"), {"fields": ["popularity", "popularity_url", "views_refreshed_at", "views_error"]}),
        (
            _("Last run"),
            {"fields": ["last_run_at", "last_run", "last_run_error", "last_success_at", "running_since"]},
        ),
        (_("Resume point"), {"fields": ["modified_after", "etag", "last_modified"], "classes": ["collapse"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The slug is written on every imported article: renaming it would orphan them.
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj else self.prepopulated_fields

    @admin.display(description=_("outcome"))
    def last_run(self, obj):
        if obj.last_run_at is None:
            return _("never")
        if obj.last_run_error:
            # The error quotes what the source said: escaped, like everything format_html gets.
            return format_html(
                '<strong style="color: #ba2121">{}</strong> {}', _("Failed:"), obj.last_run_error
            )
        return _("new: %(new)s, updated: %(updated)s, unpublished: %(unpublished)s, skipped: %(skipped)s") % {
            "new": obj.last_run_new,
            "updated": obj.last_run_updated,
            "unpublished": obj.last_run_deleted,
            "skipped": obj.last_run_skipped,
        }

    @admin.action(description=_("Run now"))
    def run_now(self, request, queryset):
        self._start(request, queryset, full=False)

    @admin.action(description=_("Run now, reading everything again"))
    def run_now_full(self, request, queryset):
        self._start(request, queryset, full=True)

    def _start(self, request, queryset, *, full: bool):
        # Without a broker the task runs here and now; with one, a worker picks it up.
        for source in queryset:
            tasks.source_import.delay(source.pk, full=full)
        names = ", ".join(map(str, queryset))
        self.message_user(
            request,
            _("Import started for: %(names)s. The outcome column shows how it went.") % {"names": names},
            messages.SUCCESS,
        )

    @admin.action(description=_("Refresh views now"))
    def refresh_views_now(self, request, queryset):
        for source in queryset:
            tasks.source_views_refresh.delay(source.pk)
        self.message_user(request, _("Views refresh started."), messages.SUCCESS)
