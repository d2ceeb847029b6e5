"""ESP events: what each kind of tracking event does to the ledger and the list, and
recording one.

Anymail turns every ESP's webhook payload into normalised tracking events; the receiver
(``receivers.py``) passes each one here. ``EFFECTS`` says what an event type does,
``VERDICTS`` which ones end an address's time on the list, ``BOT_FLAGS`` where each ESP
says a machine (a privacy proxy, a link scanner) opened or clicked. README "ESP events"
says the same for operators.

Speed: an ESP can post thousands of events a minute while a digest goes out, one
request (or signal) per event. An engagement or delivery event costs two statements —
one idempotent UPDATE of its Delivery row, one INSERT … ON CONFLICT DO NOTHING of the
event — and no transaction, because both are safe to repeat in either order: the
earliest timestamp wins and the event row is unique. Events that change a subscriber
(bounces, complaints, unsubscribes) are rare; they take a transaction and a few more
statements, and record the event first so a replay stops there. A complaint then queues
the complaint guard (``complaints.py``) as a task, after commit.
"""

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from anymail.signals import EventType, RejectReason
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from subscriptions import tasks
from subscriptions.leaving import subscriber_esp_verdict, subscription_unsubscribe
from subscriptions.models import Delivery, EspEvent, Subscriber, Suppression

log = logging.getLogger(__name__)

SENT, FAILED, UNCERTAIN = Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.UNCERTAIN


@dataclass(frozen=True)
class Effect:
    # The Delivery column this event's time goes into; the earliest event wins.
    stamp: str | None = None
    # A reader's act (open, click): a machine's is recorded but never counted.
    engagement: bool = False
    # Clicks this soon after the copy was sent or delivered are a link scanner's.
    scanner_window: bool = False
    # What an ``uncertain`` delivery becomes: any sign that the ESP had the copy
    # settles it as sent; the ESP refusing it settles it as failed.
    settles: str | None = None
    # May end the address's time on the list (VERDICTS decides by reject reason).
    verdict: bool = False
    # The reader unsubscribed through the ESP (its own link or List-Unsubscribe).
    unsubscribe: bool = False


EFFECTS: dict[str, Effect] = {
    EventType.QUEUED: Effect(settles=SENT),
    EventType.SENT: Effect(settles=SENT),
    EventType.DELIVERED: Effect(stamp="delivered_at", settles=SENT),
    EventType.DEFERRED: Effect(settles=SENT),
    EventType.OPENED: Effect(stamp="opened_at", engagement=True, settles=SENT),
    EventType.CLICKED: Effect(stamp="clicked_at", engagement=True, scanner_window=True, settles=SENT),
    EventType.BOUNCED: Effect(stamp="bounced_at", settles=SENT, verdict=True),
    EventType.REJECTED: Effect(settles=FAILED, verdict=True),
    EventType.FAILED: Effect(settles=FAILED),
    EventType.COMPLAINED: Effect(stamp="complained_at", settles=SENT, verdict=True),
    EventType.UNSUBSCRIBED: Effect(settles=SENT, unsubscribe=True),
}
NO_EFFECT = Effect()

# (event type, Anymail's reject reason) → the subscriber status it means; a reason of
# None stands for any reason. A bounce counts only when permanent ("bounced"): a full
# mailbox or a greylisting server comes back as "deferred" or another reason.
VERDICTS: dict[tuple[str, str | None], str] = {
    (EventType.BOUNCED, RejectReason.BOUNCED): Subscriber.Status.BOUNCED,
    (EventType.REJECTED, RejectReason.BOUNCED): Subscriber.Status.BOUNCED,
    (EventType.REJECTED, RejectReason.INVALID): Subscriber.Status.BOUNCED,
    (EventType.REJECTED, RejectReason.SPAM): Subscriber.Status.BOUNCED,
    (EventType.COMPLAINED, None): Subscriber.Status.COMPLAINED,
}

# Bounces Anymail reports as permanent that the ESP itself will retry: Postmark's
# "SoftBounce" (mailbox full, temporarily disabled) is normalised to reason "bounced".
# ESP → (path into its raw event, values that mean "not permanent").
TRANSIENT_BOUNCES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "Postmark": (("Type",), frozenset({"SoftBounce"})),
}

# Where an ESP says a machine opened or clicked: a path into its raw event; any
# non-empty value there means "not a person". Mailgun: client-info.bot is "apple"
# (Mail Privacy Protection), "gmail" or "generic" (a firewall or virus scanner);
# SendGrid: sg_machine_open. Postmark and most others say nothing.
BOT_FLAGS: dict[str, tuple[str, ...]] = {
    "Mailgun": ("event-data", "client-info", "bot"),
    "SendGrid": ("sg_machine_open",),
}
# Apple's Mail Privacy Protection fetches every image of every message through a proxy
# whose user agent is exactly this; a reader's own mail client says much more.
MACHINE_USER_AGENTS: dict[str, str] = {"Mozilla/5.0": "apple-mpp"}


@dataclass(frozen=True)
class Incoming:
    """One ESP event, reduced to what Nashra acts on and keeps."""

    esp: str
    event_id: str
    event_type: str
    reject_reason: str
    occurred_at: datetime
    recipient: str
    message_id: str
    # Which Delivery row it is about (None: not one of our digest copies).
    target: Q | None
    # Why a machine did it, per the ESP ("" = no sign of one).
    bot: str
    # The subscriber status this event means ("" = none).
    verdict: str
    detail: str


# --------------------------------------------------------------------------- parsing
def _dig(data, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _event_key(event) -> str:
    """The ESP's event id, or (Postmark's deliveries, opens and clicks have none) a hash
    of the whole payload: a retried webhook repeats its payload byte for byte."""
    if event.event_id:
        key = str(event.event_id)
        return key if len(key) <= 100 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    raw = event.esp_event
    if hasattr(raw, "lists"):  # Mailgun's legacy form posts arrive as a QueryDict
        raw = sorted(raw.lists())
    blob = json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()


def _positive_int(value) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


def delivery_target(*, metadata, message_id: str, recipient: str) -> Q | None:
    """Our copies carry merge_metadata {"digest": id, "subscriber": id, "batch": n}; the
    pair names one Delivery row. Without it (a hand-made message, an ESP that drops
    metadata on some events) the ESP's message id plus the address do."""
    metadata = metadata if isinstance(metadata, Mapping) else {}
    digest_id, subscriber_id = (
        _positive_int(metadata.get("digest")),
        _positive_int(metadata.get("subscriber")),
    )
    if digest_id and subscriber_id:
        return Q(digest_id=digest_id, subscriber_id=subscriber_id)
    if message_id and recipient:
        try:
            readers = Subscriber.objects.with_email(recipient).values("pk")
        except ValueError:
            return None
        return Q(esp_message_id=message_id, subscriber__in=readers)
    return None


def machine_flag(*, esp: str, event) -> str:
    """Why a machine, not a person, made this open or click ("" when nothing says so)."""
    if event.event_type not in (EventType.OPENED, EventType.CLICKED):
        return ""
    path = BOT_FLAGS.get(esp)
    flag = _dig(event.esp_event, path) if path else None
    if flag:
        return f"bot: {flag if isinstance(flag, str) else 'flagged by the ESP'}"
    if event.event_type == EventType.OPENED and (event.user_agent or "").strip() in MACHINE_USER_AGENTS:
        return f"bot: {MACHINE_USER_AGENTS[event.user_agent.strip()]}"
    return ""


def verdict_for(*, esp: str, event) -> str:
    verdict = VERDICTS.get((event.event_type, event.reject_reason)) or VERDICTS.get((event.event_type, None))
    transient = TRANSIENT_BOUNCES.get(esp)
    if (
        verdict == Subscriber.Status.BOUNCED
        and transient
        and _dig(event.esp_event, transient[0]) in transient[1]
    ):
        return ""
    return verdict or ""


def _detail(event, recipient: str, bot: str) -> str:
    text = bot or event.description or event.mta_response or ""
    if recipient:  # bounce messages often quote the address; keep no address here
        text = text.replace(recipient, "…")
    return " ".join(str(text).split())[:200]


def _recipient_hash(recipient: str) -> str:
    try:
        return Suppression.hash_email(recipient) if recipient else ""
    except ValueError:
        return ""


def incoming_from_anymail(event, esp_name: str) -> Incoming:
    occurred = event.timestamp or timezone.now()
    if timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred, UTC)
    recipient = (event.recipient or "").strip()
    message_id = str(event.message_id or "")[:255]
    bot = machine_flag(esp=esp_name, event=event)
    return Incoming(
        esp=esp_name[:20],
        event_id=_event_key(event),
        event_type=str(event.event_type or EventType.UNKNOWN)[:16],
        reject_reason=str(event.reject_reason or "")[:16],
        occurred_at=occurred,
        recipient=recipient,
        message_id=message_id,
        target=delivery_target(metadata=event.metadata, message_id=message_id, recipient=recipient),
        bot=bot,
        verdict=verdict_for(esp=esp_name, event=event),
        detail=_detail(event, recipient, bot),
    )


# --------------------------------------------------------------------------- applying
@dataclass(frozen=True)
class Applied:
    new: bool  # False: a replay, nothing changed
    delivery_id: int | None = None
    digest_id: int | None = None
    is_bot: bool = False


def esp_event_apply(*, event: Incoming) -> Applied:
    """Record one ESP event and carry out its effect (EFFECTS). Safe to repeat."""
    effect = EFFECTS.get(event.event_type, NO_EFFECT)
    if effect.verdict or effect.unsubscribe:
        return _apply_to_subscriber(event, effect)
    # Update first, then record: both are idempotent, so a crash between them is
    # repaired by the ESP's retry, and no transaction is needed on the hot path.
    if event.target is not None:
        _update_delivery(Delivery.objects.filter(event.target), event, effect)
    row = _record(event, effect)
    return Applied(new=row is not None, delivery_id=row and row[1], is_bot=bool(row and row[2]))


def _scanner_cutoff(event: Incoming) -> datetime:
    return event.occurred_at - timedelta(seconds=settings.BOT_CLICK_SECONDS)


def _too_soon(event: Incoming) -> Q:
    cutoff = _scanner_cutoff(event)
    return Q(delivered_at__gt=cutoff) | Q(delivered_at__isnull=True, sent_at__gt=cutoff)


def _update_delivery(deliveries, event: Incoming, effect: Effect) -> int:
    if effect.engagement and event.bot:
        return 0
    at = Value(event.occurred_at, output_field=models.DateTimeField())
    changes = {}
    if effect.stamp:
        changes[effect.stamp] = Least(Coalesce(F(effect.stamp), at), at)
    if effect.settles:
        changes["status"] = Case(When(status=UNCERTAIN, then=Value(effect.settles)), default=F("status"))
        if effect.settles == SENT:
            changes["sent_at"] = Case(
                When(status=UNCERTAIN, sent_at__isnull=True, then=at), default=F("sent_at")
            )
        else:
            reason = Value(f"{event.esp}: {event.event_type} {event.detail}".strip()[:300])
            changes["reason"] = Case(When(status=UNCERTAIN, then=reason), default=F("reason"))
    if not changes:
        return 0
    if effect.scanner_window:
        deliveries = deliveries.exclude(_too_soon(event))
    return deliveries.update(**changes)


def _subquery(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return f"({sql})", tuple(params)


def _record(event: Incoming, effect: Effect) -> tuple | None:
    """INSERT the event unless (esp, event_id) is known; returns (id, delivery id,
    is_bot), or None for a replay. The Delivery row is found inside the same statement,
    and so is a scanner's too-soon click."""
    delivery_sql, delivery_params = "NULL", ()
    bot_sql, bot_params = "%s", (bool(event.bot),)
    if event.target is not None:
        delivery_sql, delivery_params = _subquery(Delivery.objects.filter(event.target).values("pk")[:1])
        if effect.scanner_window and not event.bot:
            exists, bot_params = _subquery(
                Delivery.objects.filter(event.target).filter(_too_soon(event)).values("pk")[:1]
            )
            bot_sql = f"EXISTS {exists}"
    ops = connection.ops
    table = ops.quote_name(EspEvent._meta.db_table)
    sql = (
        f"INSERT INTO {table} (esp, event_id, event_type, reject_reason, occurred_at, received_at, "
        f"delivery_id, recipient_hash, message_id, is_bot, detail) "
        f"VALUES (%s, %s, %s, %s, %s, %s, {delivery_sql}, %s, %s, {bot_sql}, %s) "
        f"ON CONFLICT (esp, event_id) DO NOTHING RETURNING id, delivery_id, is_bot"
    )
    params = (
        event.esp,
        event.event_id,
        event.event_type,
        event.reject_reason,
        ops.adapt_datetimefield_value(event.occurred_at),
        ops.adapt_datetimefield_value(timezone.now()),
        *delivery_params,
        _recipient_hash(event.recipient),
        event.message_id,
        *bot_params,
        event.detail,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _apply_to_subscriber(event: Incoming, effect: Effect) -> Applied:
    """Bounces, complaints, unsubscribes: the event row first, so a replay stops there."""
    with transaction.atomic():
        row = _record(event, effect)
        if row is None:
            return Applied(new=False)
        delivery_id = row[1]
        subscriber_id = digest_id = newsletter_id = None
        if delivery_id:
            _update_delivery(Delivery.objects.filter(pk=delivery_id), event, effect)
            subscriber_id, digest_id, newsletter_id = (
                Delivery.objects.filter(pk=delivery_id)
                .values_list("subscriber_id", "digest_id", "digest__newsletter_id")
                .get()
            )
        elif event.recipient:
            # Not a digest copy (a verification or welcome email): the address is still ours.
            try:
                subscriber_id = (
                    Subscriber.objects.with_email(event.recipient).values_list("pk", flat=True).first()
                )
            except ValueError:
                subscriber_id = None
        if subscriber_id and effect.unsubscribe:
            subscription_unsubscribe(
                subscriber_id=subscriber_id,
                newsletter_id=newsletter_id,
                everything=newsletter_id is None,
                how=f"esp:{event.esp.lower()}"[:100],
            )
        if subscriber_id and event.verdict:
            subscriber_esp_verdict(
                subscriber_id=subscriber_id,
                status=event.verdict,
                newsletter_id=newsletter_id,
                how=f"esp:{event.esp.lower()}"[:100],
                detail=f"{event.event_type}: {event.detail}"[:300],
            )
        if effect.stamp == "complained_at" and digest_id:
            tasks.complaint_guard.delay_on_commit(digest_id)
    return Applied(new=True, delivery_id=delivery_id, digest_id=digest_id)
