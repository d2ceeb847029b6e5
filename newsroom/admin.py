from django.contrib import admin

from newsroom.models import Article, Section, WorkerHeartbeat


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
