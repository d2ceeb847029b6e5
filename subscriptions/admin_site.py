"""Nashra's admin site: Django's own, with the editors' dashboard as its index.

Installed as the default site (``subscriptions.admin_apps.NashraAdminConfig`` replaces
``django.contrib.admin`` in INSTALLED_APPS), so every ``@admin.register`` lands here
unchanged. Plain admin templates: right to left and translated by Django itself.
"""

from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import path
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from subscriptions import dashboard
from subscriptions.charts import bar_chart
from subscriptions.models import Newsletter, Subscriber
from subscriptions.numbers import counted, format_number, format_percent

# (series name, heading, DailyStat attribute) of the four charts, in page order.
CHARTS = [
    ("net", _("Net growth"), "net"),
    ("signups", _("Signups"), "signups"),
    ("confirmations", _("Confirmations"), "confirmations"),
    ("unsubscribes", _("Unsubscribes"), "unsubscribes"),
]
# How often an open dashboard asks for the live counts of a send in progress.
LIVE_POLL_SECONDS = 5


class NashraAdminSite(admin.AdminSite):
    site_header = site_title = "Nashra · نشرة"
    index_title = _("Dashboard")
    index_template = "admin/nashra/dashboard.html"

    def get_urls(self):
        live = path("dashboard/live.json", self.admin_view(self.live_view), name="dashboard_live")
        return [live, *super().get_urls()]

    def index(self, request, extra_context=None):
        context = dashboard_context(request.user)
        return super().index(request, extra_context={**context, **(extra_context or {})})

    def live_view(self, request):
        """The send-in-progress panel's numbers, for static/nashra/dashboard-live.js."""
        if not request.user.has_perm("subscriptions.view_digest"):
            return JsonResponse({"sends": []}, status=403)
        sends = dashboard.sends_in_progress(max_age=dashboard.LIVE_FRESH_SECONDS)
        return JsonResponse({"sends": [live_send_json(send) for send in sends], "poll_seconds": LIVE_POLL_SECONDS})


def dashboard_context(user) -> dict:
    """Each panel the user may see: subscriber numbers with ``view_subscriber``, digest
    numbers with ``view_digest``; send controls only with ``send_digest``."""
    context = {"dashboard": True, "live_poll_seconds": LIVE_POLL_SECONDS}
    if user.has_perm("subscriptions.view_subscriber"):
        counts = dashboard.subscriber_status_counts_for_page()
        rows = dashboard.daily_stats()
        context |= {
            "status_counts": [(status, label, counts.counts[status]) for status, label in Subscriber.Status.choices],
            "subscriber_total": counts.total,
            "status_approximate": counts.approximate,
            "charts": daily_charts(rows),
            "confirmation": dashboard.confirmation_rate(rows),
            "chart_days": len(rows),
            "stats_updated_at": max((r.updated_at for r in rows if r.updated_at), default=None),
        }
    if user.has_perm("subscriptions.view_digest"):
        performance = dashboard.digest_performance()
        context |= {
            "digests": performance,
            "complaint_warning": dashboard.complaint_warning(performance),
            "complaint_threshold": settings.COMPLAINT_WARN_RATE,
            # Newsletters the complaint guard paused: nothing of theirs goes out until resumed.
            "paused_newsletters": list(
                Newsletter.objects.exclude(sending_paused_reason="").values_list("name", "sending_paused_reason")
            ),
            "sends": dashboard.sends_in_progress(count=False),
            "queue": dashboard.queue_health(),
            "can_send": user.has_perm("subscriptions.send_digest"),
        }
        if context["can_send"]:
            context["ready_to_send"] = dashboard.digests_ready_to_send()
    return context


def daily_charts(rows) -> list:
    rtl = translation.get_language_bidi()
    days = [row.day for row in rows]
    return [
        bar_chart(name=name, title=str(title), days=days, values=[getattr(row, attribute) for row in rows], rtl=rtl,
                  date_label=lambda day: formats.date_format(day, "MONTH_DAY_FORMAT"), number_label=format_number)
        for name, title, attribute in CHARTS
    ]


def live_send_json(send: dashboard.LiveSend) -> dict:
    """Numbers already formatted for the editor's language: the script only places them."""
    return {
        "digest": send.digest_id,
        "subject": send.subject,
        "status": send.status,
        "status_label": send.status_label,
        "counts": send.counts,
        "shown": {status: format_number(n) for status, n in send.counts.items()},
        "recipients": counted("recipients", send.recipients),
        "progress": format_percent(send.progress),
        "progress_ratio": send.progress or 0,
    }
