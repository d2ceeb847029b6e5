"""Deployment checks (``manage.py check --deploy``) for what Nashra's own code relies on."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def webhook_secret_check(app_configs=None, **kwargs):
    """Without ANYMAIL_WEBHOOK_SECRET, Anymail accepts any POST to /anymail/<esp>/tracking/
    (Mailgun's signature aside): anyone could mark readers as bounced or complained."""
    if (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"):
        return []
    return [
        Warning(
            "ANYMAIL_WEBHOOK_SECRET is not set: the ESP webhooks at /anymail/<esp>/tracking/ accept anyone's "
            "events, so a stranger could unsubscribe readers or pause sending.",
            hint="Set ANYMAIL_WEBHOOK_SECRET=user:password and put the same credentials in the ESP's webhook URL.",
            id="nashra.W001",
        )
    ]
