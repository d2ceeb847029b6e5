"""The subscriber list and page in the admin, fast at a million rows.

- The list counts exactly only small results (``subscriptions.counting``), never shows
  facet counts, sorts only by indexed columns, and searches email and name through
  trigram indexes (migration 0008), which need three characters to work with.
- A subscriber's page shows their consent log and their deliveries, newest first and
  limited, beside the editable subscriptions.
- Actions go through the services every other path uses: the verification email's
  cooldown, ``subscription_unsubscribe``, ``subscriber_erase`` (behind a confirmation
  page, as it cannot be undone), and the CSV export. Import and export of the whole
  (filtered) list are buttons on the list.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from subscriptions.counting import EstimatedCountPaginator
from subscriptions.dashboard import subscriber_status_counts_refresh
from subscriptions.exporting import csv_chunks, subscribers_export_rows
from subscriptions.importing import MAX_BYTES, ImportFileError, ImportMode, subscribers_import
from subscriptions.leaving import subscriber_erase, subscription_unsubscribe
from subscriptions.models import Newsletter, Subscriber, Subscription
from subscriptions.numbers import format_number
from subscriptions.selectors import newsletter_default, subscriber_consent_log, subscriber_deliveries
from subscriptions.services import subscriber_resend_verification

# Consent events and deliveries shown on a subscriber's page; the consent log's own
# list (linked) has them all.
HISTORY_LIMIT = 50
# Actions run a service per reader inside the request: past this many, use the CSV
# round trip or the shell, so a click on "select all" cannot tie up a worker process
# for minutes (or erase a whole list).
ACTION_LIMIT = 1000
MIN_SEARCH = 3


class NewsletterFilter(admin.SimpleListFilter):
    """Readers subscribed to a newsletter: an EXISTS on the subscription index, so the
    list needs no DISTINCT and no join that multiplies rows."""

    title = _("newsletter")
    parameter_name = "newsletter"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Newsletter.objects.order_by("name").values_list("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        return queryset.filter(Exists(Subscription.objects.filter(
            subscriber=OuterRef("pk"), newsletter_id=int(value), status=Subscription.Status.SUBSCRIBED)))


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    fields = ["newsletter", "status", "subscribed_at", "unsubscribed_at"]
    readonly_fields = ["subscribed_at", "unsubscribed_at"]


class SubscriberImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_(
        "UTF-8, comma or semicolon separated, first line naming the columns: email (required), name, language, "
        "newsletters (slugs separated by | or ;). At most 20 MB."))
    mode = forms.ChoiceField(label=_("These people"), choices=ImportMode.choices, initial=ImportMode.VERIFY,
                             widget=forms.RadioSelect)
    attestation = forms.CharField(
        label=_("Where and how they consented"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required when they consented elsewhere: kept in each reader's consent log with your name."),
    )
    newsletter = forms.ModelChoiceField(
        label=_("Newsletter for rows without one"), queryset=Newsletter.objects.all(), required=False)
    dry_run = forms.BooleanField(label=_("Only check the file (change nothing)"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB. Split it into smaller files."))
        return upload

    def clean(self):
        data = super().clean()
        if data.get("mode") == ImportMode.CONSENTED and not (data.get("attestation") or "").strip():
            self.add_error("attestation", _("Say where and how these people consented."))
        return data


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "status", "language", "source", "created_at"]
    list_filter = ["status", NewsletterFilter, "language", "source"]
    search_fields = ["email", "name"]
    search_help_text = _("Part of an address or a name, at least 3 characters.")
    readonly_fields = ["created_at", "updated_at", "confirmed_at", "unsubscribed_at"]
    inlines = [SubscriptionInline]
    # A million rows: no COUNT(*) per page (estimated past 10,000), no "show all" total,
    # no facet counts, sorting only by indexed columns.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    sortable_by = ["created_at"]
    change_list_template = "admin/subscriptions/subscriber/change_list.html"
    change_form_template = "admin/subscriptions/subscriber/change_form.html"
    actions = ["resend_verification", "unsubscribe_selected", "erase_selected", "export_selected"]

    def get_urls(self):
        urls = [
            path("import/", self.admin_site.admin_view(self.import_view), name="subscriptions_subscriber_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="subscriptions_subscriber_export"),
        ]
        return urls + super().get_urls()

    def get_search_results(self, request, queryset, search_term):
        terms = search_term.split()
        usable = [term for term in terms if len(term) >= MIN_SEARCH]
        if len(usable) < len(terms):
            self.message_user(request, gettext("Search terms need at least 3 characters; shorter ones were left out."),
                              messages.WARNING)
        if not usable:
            return queryset, False
        return super().get_search_results(request, queryset, " ".join(usable))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_import": self.has_add_permission(request),
                         "export_query": request.GET.urlencode()}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if str(object_id).isdigit():
            events = subscriber_consent_log(subscriber_id=int(object_id), limit=HISTORY_LIMIT + 1)
            deliveries = subscriber_deliveries(subscriber_id=int(object_id), limit=HISTORY_LIMIT + 1)
            extra_context |= {
                "consent_log": events[:HISTORY_LIMIT], "consent_log_more": len(events) > HISTORY_LIMIT,
                "deliveries": deliveries[:HISTORY_LIMIT], "deliveries_more": len(deliveries) > HISTORY_LIMIT,
                "history_limit": HISTORY_LIMIT,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # -- actions --------------------------------------------------------------------
    def _ids(self, request, queryset) -> list[int] | None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: ACTION_LIMIT + 1])
        if len(ids) > ACTION_LIMIT:
            self.message_user(request, gettext(
                "Choose at most %(limit)s subscribers for this action (export the list to work on more).")
                % {"limit": format_number(ACTION_LIMIT)}, messages.ERROR)
            return None
        return ids

    @admin.action(description=_("Resend the verification email"), permissions=["change"])
    def resend_verification(self, request, queryset):
        ids = self._ids(request, queryset)
        if ids is None:
            return
        sent = sum(subscriber_resend_verification(subscriber_id=pk) for pk in ids)
        skipped = len(ids) - sent
        self.message_user(request, ngettext(
            "A verification email was queued for %(sent)s subscriber.",
            "Verification emails were queued for %(sent)s subscribers.", sent) % {"sent": sent}, messages.SUCCESS)
        if skipped:
            self.message_user(request, ngettext(
                "%(skipped)s was skipped: not pending, or sent one too recently (at most one per 15 minutes "
                "and three a day).",
                "%(skipped)s were skipped: not pending, or sent one too recently (at most one per 15 minutes "
                "and three a day).", skipped) % {"skipped": skipped}, messages.WARNING)

    @admin.action(description=_("Unsubscribe from every newsletter"), permissions=["change"])
    def unsubscribe_selected(self, request, queryset):
        ids = self._ids(request, queryset)
        if ids is None:
            return
        how = f"admin:{request.user.get_username()}"[:100]
        changed = sum(subscription_unsubscribe(subscriber_id=pk, newsletter_id=None, everything=True, how=how)
                      for pk in ids)
        subscriber_status_counts_refresh()
        self.message_user(request, ngettext("%(count)s subscriber was unsubscribed.",
                                            "%(count)s subscribers were unsubscribed.", changed)
                          % {"count": changed}, messages.SUCCESS)

    @admin.action(description=_("Erase (delete their personal data for good)…"), permissions=["delete"])
    def erase_selected(self, request, queryset):
        ids = self._ids(request, queryset)
        if ids is None:
            return None
        if request.POST.get("post") == "yes":
            erased = sum(subscriber_erase(subscriber_id=pk) for pk in ids)
            subscriber_status_counts_refresh()
            self.message_user(request, ngettext(
                "%(count)s subscriber was erased; the address stays on the suppression list.",
                "%(count)s subscribers were erased; their addresses stay on the suppression list.", erased)
                % {"count": erased}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Erase subscribers?"),
            "opts": self.model._meta,
            "ids": ids,
            "count": len(ids),
            "shown": list(Subscriber.objects.filter(pk__in=ids[:100]).order_by("pk").values_list("email", flat=True)),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/subscriptions/subscriber/erase_confirmation.html", context)

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_selected(self, request, queryset):
        return self._csv_response(queryset)

    # -- import and export pages ------------------------------------------------------
    def export_view(self, request):
        """The list as filtered and searched on the page, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # A hand-edited filter: back to the list, which says so (as Django's does).
            return HttpResponseRedirect(reverse("admin:subscriptions_subscriber_changelist") + "?e=1")
        return self._csv_response(changelist.get_queryset(request))

    def _csv_response(self, queryset) -> StreamingHttpResponse:
        rows = subscribers_export_rows(queryset=queryset)
        response = StreamingHttpResponse(csv_chunks(rows, bom=True), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = SubscriberImportForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    report = subscribers_import(
                        data=data["file"].read(), mode=data["mode"],
                        default_newsletter=data["newsletter"] or newsletter_default(),
                        editor=request.user.get_username(), attestation=data["attestation"],
                        dry_run=data["dry_run"],
                    )
                except ImportFileError as exc:
                    form.add_error("file", gettext("%(problem)s Nothing was imported.") % {"problem": exc})
        else:
            form = SubscriberImportForm(initial={"newsletter": newsletter_default()})
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Import subscribers"),
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/subscriptions/subscriber/import.html", context)
