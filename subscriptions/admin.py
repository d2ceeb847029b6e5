from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from subscriptions.models import ConsentEvent, Newsletter, Subscriber, Subscription
from subscriptions.snippets import signup_snippets


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "send_weekday", "send_time", "auto_send", "is_active"]
    list_filter = ["language", "auto_send", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["signup_code"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "language", "is_active", "welcome_text"]}),
        (_("Sender"), {"fields": ["from_name", "from_email", "reply_to", "organisation", "postal_address"]}),
        (_("Schedule"), {"fields": ["send_weekday", "send_time", "auto_send"]}),
        (_("Selection"), {"fields": ["top_limit", "per_section_limit", "light_limit", "total_limit"]}),
        (_("Signup form for the news site"), {"fields": ["signup_code"]}),
    ]

    @admin.display(description=_("HTML to paste"))
    def signup_code(self, obj):
        snippets = signup_snippets(title=obj.name if obj else "", language=obj.language if obj else "ar")
        return format_html(
            "<p>{}</p><pre dir='ltr' style='white-space:pre-wrap'>{}</pre><p>{}</p><pre dir='ltr' style='white-space:pre-wrap'>{}</pre>",
            _("The widget, in an iframe (its site must be in SIGNUP_FRAME_ANCESTORS):"),
            snippets["iframe"],
            _("Or a plain form that works without scripts:"),
            snippets["form"],
        )


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["newsletter", "status", "subscribed_at", "unsubscribed_at"]
    readonly_fields = ["subscribed_at", "unsubscribed_at"]


class ConsentEventInline(admin.TabularInline):
    """The consent log, read-only: it is evidence, not data to edit."""

    model = ConsentEvent
    extra = 0
    can_delete = False
    fields = ["at", "event", "newsletter", "ip", "user_agent", "form", "wording_hash", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "status", "language", "source", "created_at"]
    list_filter = ["status", "language", "source"]
    search_fields = ["email", "name"]
    readonly_fields = ["created_at", "updated_at", "confirmed_at", "unsubscribed_at"]
    inlines = [SubscriptionInline, ConsentEventInline]
    # A million rows: no full COUNT(*) for the "show all" link.
    show_full_result_count = False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["subscriber", "newsletter", "status", "subscribed_at", "unsubscribed_at"]
    list_filter = ["status", "newsletter"]
    list_select_related = ["subscriber", "newsletter"]
    search_fields = ["subscriber__email"]
    raw_id_fields = ["subscriber"]
    show_full_result_count = False


@admin.register(ConsentEvent)
class ConsentEventAdmin(admin.ModelAdmin):
    list_display = ["at", "event", "subscriber", "newsletter", "ip", "form"]
    list_filter = ["event", "form"]
    list_select_related = ["subscriber", "newsletter"]
    search_fields = ["subscriber__email"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
