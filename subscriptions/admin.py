from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.http import require_POST

from subscriptions import digest as digest_service
from subscriptions import sending
from subscriptions.complaints import newsletter_sending_resume
from subscriptions.emails import digest_body, digest_send_test, staff_fields
from subscriptions.models import ConsentEvent, Digest, DigestItem, EspEvent, Newsletter, Subscription
from subscriptions.personalize import digest_personalize
from subscriptions.counting import EstimatedCountPaginator
from subscriptions.snippets import signup_snippets
from subscriptions.subscriber_admin import SubscriberAdmin  # noqa: F401  (registers the subscriber admin)


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "send_weekday", "send_time", "auto_send", "is_active", "sending_allowed"]
    list_filter = ["language", "auto_send", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # The pause is the complaint guard's to set and the "resume" action's to clear (which
    # records when, so the guard does not pause again for the same digest and day).
    readonly_fields = ["signup_code", "sending_paused_reason", "sending_resumed_at"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "language", "is_active", "welcome_text"]}),
        (_("Sending"), {"fields": ["sending_paused_reason", "sending_resumed_at"]}),
        (_("Sender"), {"fields": ["from_name", "from_email", "reply_to", "organisation", "postal_address"]}),
        (_("Schedule"), {"fields": ["send_weekday", "send_time", "auto_send"]}),
        (_("Selection"), {"fields": ["top_limit", "per_section_limit", "light_limit", "total_limit"]}),
        (_("Digest"), {"fields": ["subject_template", "month_names", "utm_source", "utm_medium", "utm_campaign"]}),
        (_("Signup form for the news site"), {"fields": ["signup_code"]}),
    ]
    actions = ["compile_digest_now", "resume_sending"]

    @admin.display(description=_("sending allowed"), boolean=True)
    def sending_allowed(self, obj):
        return not obj.sending_paused_reason

    @admin.action(description=_("Resume sending (after a complaint pause)"))
    def resume_sending(self, request, queryset):
        for newsletter in queryset:
            if newsletter_sending_resume(newsletter_id=newsletter.pk, user=request.user):
                self.message_user(
                    request, gettext("%(name)s may send again. Digests the complaint guard paused stay "
                                     "paused until they are resumed.") % {"name": newsletter.name},
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, gettext("%(name)s was not paused.") % {"name": newsletter.name},
                                  messages.INFO)

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
            context["can_send_now"] = (
                obj.status == Digest.Status.APPROVED and request.user.has_perm("subscriptions.send_digest")
            )
            if obj.status in Digest.GONE_OUT or obj.status == Digest.Status.CANCELLED and obj.send_started_at:
                context["progress"] = sending.digest_progress(digest_id=obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _actions_for(self, request, digest) -> list[tuple[str, str, str]]:
        """(url name, label, css class) of the state changes open to this user now."""
        can_change = request.user.has_perm("subscriptions.change_digest")
        can_send = request.user.has_perm("subscriptions.send_digest")
        actions = [("send_test", _("Send a test to me"), "")]
        if can_send:
            actions += self._send_actions(digest)
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
            view(self.send_view, "send"),
            view(self.progress_view, "progress"),
            view(self.pause_view, "pause", post=True),
            view(self.resume_view, "resume", post=True),
            view(self.cancel_sending_view, "cancel_sending", post=True),
            view(self.resend_failed_view, "resend_failed", post=True),
            view(self.resend_uncertain_view, "resend_uncertain", post=True),
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

    # -- sending (subscriptions/sending.py) -------------------------------------------
    def _send_actions(self, digest) -> list[tuple[str, str, str]]:
        actions = []
        if digest.status == Digest.Status.SENDING:
            actions += [("pause", _("Pause sending"), ""), ("cancel_sending", _("Cancel sending"), "")]
        if digest.status == Digest.Status.PAUSED:
            actions += [("resume", _("Resume sending"), "default"), ("cancel_sending", _("Cancel sending"), "")]
        if digest.status in Digest.GONE_OUT:
            progress = sending.digest_progress(digest_id=digest.pk)
            if progress["failed"]:
                actions.append(("resend_failed", _("Resend to the failed"), ""))
            if progress["uncertain"]:
                actions.append(("resend_uncertain", _("Resend the uncertain (some may get it twice)"), ""))
        return actions

    def _sendable(self, request, object_id) -> Digest:
        if not request.user.has_perm("subscriptions.send_digest"):
            raise PermissionDenied
        return get_object_or_404(Digest.objects.select_related("newsletter"), pk=object_id)

    def send_view(self, request, object_id):
        """GET: a confirmation page with the audience that would be frozen now; POST: send."""
        digest = self._sendable(request, object_id)
        if request.method == "POST":
            if digest.status != Digest.Status.APPROVED:
                self.message_user(request, gettext("Only an approved digest can be sent."), messages.ERROR)
            else:
                from subscriptions.tasks import send_digest

                send_digest.delay_on_commit(digest.pk)
                self.message_user(request, gettext("Sending has started."), messages.SUCCESS)
            return self._back(digest)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": digest,
            "audience": sending.audience_count(newsletter_id=digest.newsletter_id),
            "title": gettext("Send this digest?"),
        }
        return TemplateResponse(request, "admin/subscriptions/digest/send_confirm.html", context)

    def progress_view(self, request, object_id):
        digest = self._digest(request, object_id)
        progress = sending.digest_progress(digest_id=digest.pk)
        status = Digest.objects.values_list("status", "pause_reason").get(pk=digest.pk)
        return JsonResponse({"status": status[0], "pause_reason": status[1], **progress})

    def _sending_change(self, request, object_id, action, done: str):
        digest = self._sendable(request, object_id)
        try:
            changed = action(digest_id=digest.pk)
        except sending.SendError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done if changed else gettext("Nothing to change."),
                              messages.SUCCESS if changed else messages.WARNING)
        return self._back(digest)

    def pause_view(self, request, object_id):
        return self._sending_change(request, object_id, sending.digest_pause, gettext("Sending is paused."))

    def resume_view(self, request, object_id):
        return self._sending_change(request, object_id, sending.digest_resume, gettext("Sending resumed."))

    def cancel_sending_view(self, request, object_id):
        return self._sending_change(request, object_id, sending.digest_cancel_sending,
                                    gettext("Sending is cancelled; readers not yet sent to are skipped."))

    def resend_failed_view(self, request, object_id):
        return self._sending_change(request, object_id, partial(sending.digest_resend, which="failed"),
                                    gettext("The failed readers are queued again."))

    def resend_uncertain_view(self, request, object_id):
        return self._sending_change(request, object_id, partial(sending.digest_resend, which="uncertain"),
                                    gettext("The uncertain readers are queued again."))

@admin.register(EspEvent)
class EspEventAdmin(admin.ModelAdmin):
    """What the ESPs reported, read-only: evidence for a bounce, a complaint or a pause."""

    list_display = ["received_at", "esp", "event_type", "reject_reason", "is_bot", "delivery", "detail"]
    list_filter = ["esp", "event_type", "is_bot"]
    list_select_related = ["delivery"]
    search_fields = ["event_id", "message_id"]
    show_full_result_count = False  # a busy list posts millions of these

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
