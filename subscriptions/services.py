"""Writes about subscribers: signup, confirmation, housekeeping.

Named ``entity_action``, keyword-only. Views and tasks call these; nothing else writes
subscribers, so every rule (no enumeration, cooldowns, the consent log) lives here.
"""

import enum
import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from subscriptions import tasks
from subscriptions.consent import consent_record
from subscriptions.erasure import consent_events_erase
from subscriptions.models import ConsentEvent, Newsletter, Subscriber, Subscription, Suppression
from subscriptions.tokens import ConfirmClaim, confirm_token_matches

log = logging.getLogger(__name__)

# One verification email per address per 15 minutes, and at most a few a day, however
# many times (and from however many IPs) the address is posted.
VERIFICATION_COOLDOWN = timedelta(minutes=15)
VERIFICATIONS_PER_DAY = 3


def subscriber_signup(
    *,
    email: str,
    name: str,
    language: str,
    newsletter: Newsletter,
    ip: str | None,
    user_agent: str,
    form: str,
    wording: str,
) -> bool:
    """Ask for a subscription. Returns whether a verification email was queued.

    The caller must answer the reader the same way whatever this returns: a new,
    pending, confirmed, unsubscribed or suppressed address all look alike from outside.
    - new or unsubscribed → pending, verification email;
    - pending → the email again, subject to the cooldown;
    - confirmed and already subscribed to this newsletter, bounced, complained → nothing.
    """
    now = timezone.now()
    with transaction.atomic():
        subscriber, created = _insert_or_existing(email=email, name=name, language=language, now=now)
        if subscriber is None:
            return False  # erased on request: never re-added, and the form must not say so
        if not created:
            if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
                # A conditional UPDATE: concurrent posts move it to pending once.
                Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.UNSUBSCRIBED).update(
                    status=Subscriber.Status.PENDING, name=name or F("name"), language=language, updated_at=now
                )
                subscriber.status = Subscriber.Status.PENDING
            elif subscriber.status == Subscriber.Status.PENDING and name and name != subscriber.name:
                Subscriber.objects.filter(pk=subscriber.pk).update(name=name, language=language, updated_at=now)
            if not _needs_verification(subscriber, newsletter):
                return False
            if not verification_claim(subscriber_id=subscriber.pk, now=now):
                return False
        consent_record(
            subscriber=subscriber, newsletter_id=newsletter.pk, event=ConsentEvent.Event.SIGNUP,
            ip=ip, user_agent=user_agent, form=form, wording=wording,
        )
        tasks.send_verification_email.delay_on_commit(subscriber.pk, [newsletter.pk], now.isoformat())
    return True


def _insert_or_existing(*, email: str, name: str, language: str, now) -> tuple[Subscriber | None, bool]:
    """(subscriber, created). A new address is inserted pending with its first
    verification already claimed; an erased one (on the suppression list) is not, and
    comes back as None.

    One statement for the common case, a new address: ``INSERT … SELECT … WHERE NOT
    EXISTS (suppressed) ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL and SQLite both
    have it). A concurrent insert of the same address waits for the other transaction
    and returns nothing; the SELECT that follows then finds the row.
    """
    table = Subscriber._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (email, name, language, status, source, created_at, updated_at, "
            "verification_sent_at, verification_day, verification_count) "
            "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, 1 "
            f"WHERE NOT EXISTS (SELECT 1 FROM {Suppression._meta.db_table} WHERE email_hash = %s) "
            "ON CONFLICT DO NOTHING RETURNING id",
            [email, name, language, Subscriber.Status.PENDING, Subscriber.Source.FORM, now, now,
             now, timezone.localdate(now), Suppression.hash_email(email)],
        )
        row = cursor.fetchone()
    if row:
        return Subscriber(
            pk=row[0], email=email, name=name, language=language, status=Subscriber.Status.PENDING,
            source=Subscriber.Source.FORM, created_at=now, updated_at=now, verification_count=1,
        ), True
    return Subscriber.objects.with_email(email).first(), False


def _needs_verification(subscriber: Subscriber, newsletter: Newsletter) -> bool:
    if subscriber.status == Subscriber.Status.PENDING:
        return True
    if subscriber.status == Subscriber.Status.CONFIRMED:
        # Confirmed for another newsletter: this one needs its own consent.
        return not Subscription.objects.filter(
            subscriber=subscriber, newsletter=newsletter, status=Subscription.Status.SUBSCRIBED
        ).exists()
    return False  # bounced or complained: suppressed, never mailed again from a form


def verification_claim(*, subscriber_id: int, now) -> bool:
    """Atomically take the right to send one verification email now.

    One UPDATE with the cooldown in its WHERE clause: of 20 concurrent posts for one
    address only the first matches; the row lock makes the others re-check and miss.
    """
    today = timezone.localdate(now)
    claimed = (
        Subscriber.objects.filter(pk=subscriber_id)
        .filter(Q(verification_sent_at__isnull=True) | Q(verification_sent_at__lte=now - VERIFICATION_COOLDOWN))
        .filter(
            Q(verification_day__isnull=True)
            | Q(verification_day__lt=today)
            | Q(verification_count__lt=VERIFICATIONS_PER_DAY)
        )
        .update(
            verification_sent_at=now,
            verification_count=Case(
                When(verification_day=today, then=F("verification_count") + 1), default=Value(1)
            ),
            verification_day=today,
        )
    )
    return claimed == 1


def subscribers_request_verification(*, subscriber_ids: list[int], newsletter_ids: list[int], now=None) -> int:
    """Queue a verification email for each of these readers that may have one now.

    The same path as a signup: ``verification_claim`` (cooldown and daily cap per
    address) then the ``send_verification_email`` task, so an import or an editor's
    "resend" can never mail an address more often than the form could. Readers no
    longer pending or confirmed are skipped by the task itself. Returns how many
    were queued.
    """
    now = now or timezone.now()
    queued = 0
    for subscriber_id in subscriber_ids:
        if verification_claim(subscriber_id=subscriber_id, now=now):
            tasks.send_verification_email.delay_on_commit(subscriber_id, list(newsletter_ids), now.isoformat())
            queued += 1
    return queued


def subscriber_resend_verification(*, subscriber_id: int, now=None) -> bool:
    """An editor's "resend verification" for a pending reader: for the newsletters the
    reader asked for (their signup events), or the default one. False when the reader
    is not pending or was sent one too recently."""
    from subscriptions.selectors import newsletter_default

    subscriber = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.PENDING).first()
    if subscriber is None:
        return False
    asked = set(
        ConsentEvent.objects.filter(subscriber=subscriber, event=ConsentEvent.Event.SIGNUP, newsletter__isnull=False)
        .values_list("newsletter_id", flat=True)
    )
    if not asked:
        default = newsletter_default()
        asked = {default.pk} if default else set()
    if not asked:
        return False
    return subscribers_request_verification(subscriber_ids=[subscriber.pk], newsletter_ids=sorted(asked), now=now) == 1


class ConfirmResult(enum.Enum):
    CONFIRMED = "confirmed"
    ALREADY = "already"  # a second click: nothing to do, and that is fine
    EXPIRED = "expired"  # the state moved on (unsubscribed since, say): ask for a new link


def subscriber_confirm(
    *, claim: ConfirmClaim, state: str, ip: str | None, user_agent: str
) -> ConfirmResult:
    now = timezone.now()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=claim.subscriber_id).first()
        if subscriber is None:
            return ConfirmResult.EXPIRED
        newsletters = list(Newsletter.objects.filter(pk__in=claim.newsletter_ids))
        if not confirm_token_matches(subscriber, state):
            subscribed = Subscription.objects.filter(
                subscriber=subscriber, newsletter__in=newsletters, status=Subscription.Status.SUBSCRIBED
            ).count()
            if subscriber.status == Subscriber.Status.CONFIRMED and subscribed == len(newsletters):
                return ConfirmResult.ALREADY
            return ConfirmResult.EXPIRED
        if subscriber.status not in (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED):
            return ConfirmResult.EXPIRED

        subscriber.status = Subscriber.Status.CONFIRMED
        subscriber.confirmed_at = now
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "confirmed_at", "unsubscribed_at", "updated_at"])
        for newsletter in newsletters:
            subscription, created = Subscription.objects.get_or_create(subscriber=subscriber, newsletter=newsletter)
            if not created and subscription.status != Subscription.Status.SUBSCRIBED:
                subscription.status = Subscription.Status.SUBSCRIBED
                subscription.unsubscribed_at = None
                subscription.save(update_fields=["status", "unsubscribed_at"])
            consent_record(
                subscriber=subscriber, newsletter_id=newsletter.pk, event=ConsentEvent.Event.CONFIRM,
                ip=ip, user_agent=user_agent, form="confirm",
            )
            if newsletter.welcome_text:
                tasks.send_welcome_email.delay_on_commit(subscriber.pk, newsletter.pk)
    return ConfirmResult.CONFIRMED


def subscribers_purge_pending(*, older_than_days: int, now=None) -> int:
    """Delete never-confirmed signups older than the cut-off, with their consent log.

    Keeping an address nobody confirmed is keeping data without consent. Addresses
    that were confirmed once (then left and asked again) are kept: their history is
    evidence of consent given.
    """
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    stale = Subscriber.objects.filter(
        status=Subscriber.Status.PENDING, confirmed_at__isnull=True, created_at__lt=cutoff
    )
    purged = 0
    while ids := list(stale.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            consent_events_erase(subscriber_ids=ids)
            Subscription.objects.filter(subscriber_id__in=ids).delete()
            purged += Subscriber.objects.filter(pk__in=ids).delete()[1].get("subscriptions.Subscriber", 0)
    if purged:
        log.info("purged unconfirmed subscribers", extra={"purged": purged, "older_than_days": older_than_days})
    return purged
