from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self):
        from anymail.signals import tracking

        from subscriptions import checks  # noqa: F401  (registers the deploy checks)
        from subscriptions.models import Newsletter
        from subscriptions.receivers import esp_event_received
        from subscriptions.selectors import newsletter_default_forget

        # This process's cached default newsletter goes stale with any edit; other
        # processes pick the edit up within DEFAULT_NEWSLETTER_TTL.
        for signal in (post_save, post_delete):
            signal.connect(lambda **kwargs: newsletter_default_forget(), sender=Newsletter, weak=False)

        # Every ESP's tracking webhook (/anymail/<esp>/tracking/) ends here.
        tracking.connect(esp_event_received, weak=False, dispatch_uid="nashra.esp_events")
