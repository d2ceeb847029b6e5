from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.http import require_POST

from subscriptions import digest as digest_service
from subscriptions.emails import digest_body, digest_send_test, staff_fields
from subscriptions.models import ConsentEvent, Digest, DigestItem, Newsletter, Subscription
from subscriptions.personalize import digest_personalize
from subscriptions.counting import EstimatedCountPaginator
from subscriptions.snippets import signup_snippets
from subscriptions.subscriber_admin import SubscriberAdmin  # noqa: F401  (registers the subscriber admin)


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
        (_("Digest"), {"fields": ["subject_template", "month_names", "utm_source", "utm_medium", "utm_campaign"]}),
        (_("Signup form for the news site"), {"fields": ["signup_code"]}),
    ]
    actions = ["compile_digest_now"]

    @admin.action(description=_("Compile the digest of the 7 days ending now"))
    def compile_digest_now(self, request, queryset):
        # To the minute: a second click in the same minute finds the same digest.
        end = timezone.now().replace(second=0, microsecond=0)
        for newsletter in queryset:
            digest = digest_service.digest_compile(newsletter=newsletter, period_end=end)
            if digest is None:
                self.message_user(
                    request, gettext("%(name)s: nothing new was published in the last 7 days.")
                    % {"name": newsletter.name}, messages.WARNING,
                )
            else:
                self.message_user(request, gettext("%(name)s: digest “%(subject)s” is ready.")
                                  % {"name": newsletter.name, "subject": digest.subject}, messages.SUCCESS)

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
    paginator = EstimatedCountPaginator  # millions of events: counted exactly only when few

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ArticleAutocomplete(AutocompleteSelect):
    """Django's autocomplete widget looks up each row's chosen article with its own
    query; a digest page has up to 50 rows. ``known`` (id → title, loaded once per page
    by the inline) answers those lookups; anything else falls back to Django's way."""

    known: dict[str, str] = {}

    def optgroups(self, name, value, attr=None):
        chosen = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if not chosen or any(v not in self.known for v in chosen):
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        options += [self.create_option(name, v, self.known[v], True, len(options)) for v in chosen[:1]]
        return [(None, options, 0)]


class DigestItemInline(admin.TabularInline):
    """The digest's items: change a position number to reorder, tick delete to drop,
    "add another" to put in any article (searched by title)."""

    model = DigestItem
    extra = 0
    max_num = digest_service.MAX_ITEMS
    fields = ["position", "group", "article", "section"]
    readonly_fields = ["section"]
    autocomplete_fields = ["article"]
    ordering = ["position", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article", "section")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            kwargs["widget"] = ArticleAutocomplete(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None and "article" in formset.form.base_fields:
            widget = formset.form.base_fields["article"].widget
            widget = getattr(widget, "widget", widget)  # inside the add/change-links wrapper
            widget.known = {str(pk): title for pk, title in obj.items.values_list("article_id", "article__title")}
        return formset

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ["subject", "newsletter", "period_end", "status", "approved_at", "sent_at"]
    list_filter = ["status", "newsletter"]
    list_select_related = ["newsletter"]
    search_fields = ["subject", "slug"]
    fieldsets = [
        (None, {"fields": ["subject", "intro"]}),
        (_("Details"), {"fields": [
            ("newsletter", "status"), ("period_start", "period_end"), "slug",
            ("rendered_at", "approved_at", "approved_by"), ("sent_at", "created_at"),
        ]}),
    ]
    readonly_fields = [
        "newsletter", "status", "period_start", "period_end", "slug",
        "rendered_at", "approved_at", "approved_by", "sent_at", "created_at",
    ]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 80})}}
    inlines = [DigestItemInline]
    change_form_template = "admin/subscriptions/digest/change_form.html"

    # Digests are compiled (beat, compile_digest, the newsletter action), not typed in.
    def has_add_permission(self, request):
        return False

    # Editable only as a draft: once approved the stored body is what readers get, and
    # from sending on it is a record. Approved ones go back to draft to be edited.
    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.is_editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = obj is None or obj.status in (Digest.Status.DRAFT, Digest.Status.CANCELLED)
        return allowed and super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        digest_service.digest_items_arrange(digest=form.instance)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["digest_actions"] = self._actions_for(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _actions_for(self, request, digest) -> list[tuple[str, str, str]]:
        """(url name, label, css class) of the state changes open to this user now."""
        can_change = request.user.has_perm("subscriptions.change_digest")
        actions = [("send_test", _("Send a test to me"), "")]
        if can_change and digest.status == Digest.Status.DRAFT:
            actions.append(("approve", _("Approve"), "default"))
        if can_change and digest.status == Digest.Status.APPROVED:
            actions.append(("reopen", _("Back to draft"), ""))
        if can_change and digest.status in (Digest.Status.DRAFT, Digest.Status.APPROVED):
            actions.append(("cancel", _("Cancel this digest"), ""))
        return actions

    def get_urls(self):
        def view(func, name, *, post=False):
            wrapped = self.admin_site.admin_view(require_POST(func) if post else func)
            return path(f"<int:object_id>/{name.replace('_', '-')}/", wrapped,
                        name=f"subscriptions_digest_{name}")

        return [
            view(self.preview_view, "preview"),
            view(self.preview_text_view, "preview_text"),
            view(self.send_test_view, "send_test", post=True),
            view(self.approve_view, "approve", post=True),
            view(self.reopen_view, "reopen", post=True),
            view(self.cancel_view, "cancel", post=True),
        ] + super().get_urls()

    # -- views ---------------------------------------------------------------------
    def _digest(self, request, object_id, *, change=False) -> Digest:
        digest = get_object_or_404(Digest.objects.select_related("newsletter"), pk=object_id)
        allowed = request.user.has_perm("subscriptions.change_digest") if change else (
            self.has_view_permission(request, digest))
        if not allowed:
            raise PermissionDenied
        return digest

    def _back(self, digest) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:subscriptions_digest_change", args=[digest.pk]))

    def preview_view(self, request, object_id):
        """The HTML exactly as a reader gets it (the stored body once approved), with the
        viewing editor's own name and links filled in."""
        digest = self._digest(request, object_id)
        body = digest_body(digest)
        html = digest_personalize(body=body.html, fields=staff_fields(digest=digest, user=request.user), html=True)
        return HttpResponse(html)

    def preview_text_view(self, request, object_id):
        digest = self._digest(request, object_id)
        body = digest_body(digest)
        text = digest_personalize(body=body.text, fields=staff_fields(digest=digest, user=request.user), html=False)
        return HttpResponse(text, content_type="text/plain; charset=utf-8")

    def send_test_view(self, request, object_id):
        digest = self._digest(request, object_id)
        try:
            address = digest_send_test(digest=digest, user=request.user)
        except ValueError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, gettext("A test was sent to %(email)s.") % {"email": address},
                              messages.SUCCESS)
        return self._back(digest)

    def _state_change(self, request, object_id, service, done: str):
        digest = self._digest(request, object_id, change=True)
        try:
            kwargs = {"user": request.user} if service is digest_service.digest_approve else {}
            service(digest=digest, **kwargs)
        except digest_service.DigestStateError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return self._back(digest)

    def approve_view(self, request, object_id):
        return self._state_change(request, object_id, digest_service.digest_approve,
                                  gettext("Approved: the digest is rendered and stored as readers will get it."))

    def reopen_view(self, request, object_id):
        return self._state_change(request, object_id, digest_service.digest_reopen,
                                  gettext("The digest is a draft again and can be edited."))

    def cancel_view(self, request, object_id):
        return self._state_change(request, object_id, digest_service.digest_cancel,
                                  gettext("The digest is cancelled."))
