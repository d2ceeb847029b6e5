"""Leaving and personal data: unsubscribe, resubscribe, preferences, export, erase, and
the ESP's verdicts (a permanent bounce, a spam complaint) that end an address's mail.

Every withdrawal is a consent-log event. Effects are immediate: the sending pipeline
re-checks each recipient's status right before its batch goes out.
"""

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from subscriptions.consent import consent_event, consent_record
from subscriptions.erasure import consent_events_erase
from subscriptions.models import ConsentEvent, EspEvent, Newsletter, Subscriber, Subscription, Suppression

# Statuses a reader may leave or come back from by themselves. Bounced and complained
# addresses are the ESP's verdict: a click on an old link does not undo it.
RESUBSCRIBABLE = {Subscriber.Status.CONFIRMED, Subscriber.Status.UNSUBSCRIBED}

# The ESP's verdicts (subscriptions/esp_events.py) and the statuses each one ends. A
# complaint outranks a bounce; nothing outranks a complaint.
VERDICT_ENDS = {
    Subscriber.Status.BOUNCED: {
        Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED, Subscriber.Status.UNSUBSCRIBED,
    },
    Subscriber.Status.COMPLAINED: {
        Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED, Subscriber.Status.UNSUBSCRIBED,
        Subscriber.Status.BOUNCED,
    },
}
VERDICT_EVENTS = {
    Subscriber.Status.BOUNCED: ConsentEvent.Event.BOUNCE,
    Subscriber.Status.COMPLAINED: ConsentEvent.Event.COMPLAINT,
}


def subscription_unsubscribe(
    *, subscriber_id: int, newsletter_id: int | None, everything: bool = False,
    ip: str | None = None, user_agent: str = "", how: str = "link",
) -> bool:
    """Unsubscribe from one newsletter (or all). Repeats are harmless: returns whether
    anything changed, and logs a consent event only when it did."""
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None:
            return False
        subscriptions = Subscription.objects.filter(subscriber=subscriber, status=Subscription.Status.SUBSCRIBED)
        if not everything:
            subscriptions = subscriptions.filter(newsletter_id=newsletter_id)
        left = list(subscriptions.values_list("newsletter_id", flat=True))
        subscriptions.update(status=Subscription.Status.UNSUBSCRIBED, unsubscribed_at=now)
        remaining = Subscription.objects.filter(subscriber=subscriber, status=Subscription.Status.SUBSCRIBED).exists()
        changed = bool(left)
        if not remaining and subscriber.status in (Subscriber.Status.CONFIRMED, Subscriber.Status.PENDING):
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = now
            subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
            changed = True
        ConsentEvent.objects.bulk_create(
            consent_event(subscriber=subscriber, newsletter_id=nid, event=ConsentEvent.Event.UNSUBSCRIBE,
                          ip=ip, user_agent=user_agent, form=how)
            for nid in left or ([newsletter_id] if changed and newsletter_id else [])
        )
    return changed


def subscriber_esp_verdict(
    *, subscriber_id: int, status: str, newsletter_id: int | None = None, how: str = "esp", detail: str = "",
) -> bool:
    """The ESP says the address bounces for good, or its owner marked us as spam: no
    more mail to it, from any newsletter. One conditional UPDATE (no lock to wait for);
    returns whether the status changed, and logs a consent event only then."""
    with transaction.atomic():
        changed = Subscriber.objects.filter(pk=subscriber_id, status__in=VERDICT_ENDS[status]).update(
            status=status, updated_at=timezone.now()
        )
        if changed:
            consent_record(subscriber_id=subscriber_id, newsletter_id=newsletter_id, event=VERDICT_EVENTS[status],
                           form=how, detail=detail)
    return bool(changed)


def subscription_resubscribe(
    *, subscriber_id: int, newsletter_id: int, ip: str | None = None, user_agent: str = ""
) -> bool:
    """"I did this by mistake": back on the list at once, with no new verification, for
    an address confirmed before. Returns False when that is not possible (never
    confirmed, bounced, complained or gone)."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None or subscriber.confirmed_at is None or subscriber.status not in RESUBSCRIBABLE:
            return False
        if not Newsletter.objects.filter(pk=newsletter_id).exists():
            return False
        subscription, created = Subscription.objects.get_or_create(subscriber=subscriber, newsletter_id=newsletter_id)
        if not created and subscription.status == Subscription.Status.SUBSCRIBED and subscriber.status == Subscriber.Status.CONFIRMED:
            return True
        subscription.status = Subscription.Status.SUBSCRIBED
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["status", "unsubscribed_at"])
        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
        consent_record(subscriber=subscriber, newsletter_id=newsletter_id, event=ConsentEvent.Event.RESUBSCRIBE,
                       ip=ip, user_agent=user_agent, form="unsubscribe-page")
    return True


def subscriber_update_preferences(
    *, subscriber: Subscriber, name: str, language: str, newsletter_ids: set[int],
    ip: str | None = None, user_agent: str = "",
) -> None:
    """Name, language and (when more than one is offered) which newsletters."""
    with transaction.atomic():
        Subscriber.objects.filter(pk=subscriber.pk).update(name=name, language=language, updated_at=timezone.now())
        current = set(
            Subscription.objects.filter(subscriber=subscriber, status=Subscription.Status.SUBSCRIBED)
            .values_list("newsletter_id", flat=True)
        )
        for newsletter_id in current - newsletter_ids:
            subscription_unsubscribe(subscriber_id=subscriber.pk, newsletter_id=newsletter_id, ip=ip,
                                     user_agent=user_agent, how="preferences")
        for newsletter_id in newsletter_ids - current:
            subscription_resubscribe(subscriber_id=subscriber.pk, newsletter_id=newsletter_id, ip=ip,
                                     user_agent=user_agent)


def subscriber_export(*, subscriber: Subscriber) -> dict:
    """Everything held about one reader ("download my data")."""
    data = {
        "subscriber": {
            "email": subscriber.email, "name": subscriber.name, "language": subscriber.language,
            "status": subscriber.status, "source": subscriber.source,
            "created_at": subscriber.created_at, "confirmed_at": subscriber.confirmed_at,
            "unsubscribed_at": subscriber.unsubscribed_at,
        },
        "subscriptions": [
            {"newsletter": s.newsletter.name, "status": s.status, "subscribed_at": s.subscribed_at,
             "unsubscribed_at": s.unsubscribed_at}
            for s in subscriber.subscriptions.select_related("newsletter")
        ],
        "consent_log": [
            {"event": e.event, "at": e.at, "newsletter_id": e.newsletter_id, "ip": e.ip,
             "user_agent": e.user_agent, "form": e.form, "wording_hash": e.wording_hash}
            for e in subscriber.consent_events.order_by("at", "id")
        ],
    }
    for name, rows in _personal_records(subscriber).items():
        data[name] = rows
    return data


def _personal_records(subscriber: Subscriber) -> dict[str, list[dict]]:
    """Rows of other models that point at a subscriber and opt in with an
    ``export_for_subscriber`` classmethod (e.g. deliveries). Looked up by name so this
    module need not know every model that ever refers to a reader."""
    records = {}
    for model in apps.get_app_config("subscriptions").get_models():
        export = getattr(model, "export_for_subscriber", None)
        if export:
            records[model._meta.verbose_name_plural.__str__()] = export(subscriber)
    return records


def subscriber_erase(*, subscriber_id: int) -> bool:
    """Erase a reader on request: every personal field goes; a keyed hash of the
    address stays on the suppression list so nothing re-adds them silently."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None:
            return False
        email_hash = Suppression.hash_email(subscriber.email)
        Suppression.objects.get_or_create(email_hash=email_hash)
        consent_events_erase(subscriber_ids=[subscriber.pk])
        # What the ESP reported stays (a digest's figures), but no longer points at them.
        EspEvent.objects.filter(recipient_hash=email_hash).update(recipient_hash="")
        # Subscriptions cascade; rows that must outlive the reader (deliveries, for a
        # digest's totals) let go of them with on_delete=SET_NULL.
        subscriber.delete()
    return True
