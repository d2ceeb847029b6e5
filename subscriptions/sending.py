"""Sending a digest: the ledger, the batches, one ESP call per batch, and what happens
when a worker, the broker or the ESP fails.

The rules (SPEC "Behaviour"):
- Every (digest, subscriber) has one Delivery row, unique in the database, created
  before anything is queued (``ledger_build``).
- A batch is claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, re-checked against the
  world, marked ``submitting`` and committed *before* the ESP call, which happens outside
  any lock (``batch_send``).
- Only a 429, a 5xx or a connection that was never made is retried (the ESP took
  nothing). A read timeout, or a batch found ``submitting`` after a crash, is an unknown
  outcome: ``uncertain``, never resent on its own.
- The sweeper (beat) re-queues batches whose task was lost and turns abandoned
  ``submitting`` batches into ``uncertain``.

All of it is plain functions: the Celery tasks, the admin and the commands call them.
"""

import logging
import random
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from newsroom.ratelimit import send_tokens_acquire
from subscriptions import esp
from subscriptions.complaints import newsletter_sending_paused
from subscriptions.emails import list_headers_shared, list_unsubscribe, sender
from subscriptions.links import digest_web_url, unsubscribe_url
from subscriptions.mime import CopyTemplate
from subscriptions.models import Delivery, Digest, SendBatch, Subscriber, Subscription
from subscriptions.personalize import digest_personalize

log = logging.getLogger(__name__)

# Readers written to the ledger per transaction. A multiple of every batch size, so a
# chunk always ends on a batch boundary and a resumed build continues cleanly.
LEDGER_CHUNK_BATCHES = 50


class SendError(Exception):
    """A digest cannot be sent in its present state; the message says why."""


# --------------------------------------------------------------------------- start
def digest_send(*, digest_id: int, dispatch=None) -> Digest:
    """Start (or resume) sending an approved digest: freeze the audience, write the
    ledger, queue one task per batch. Safe to call again: it picks up where it stopped.

    ``dispatch(digest_id, number, countdown)`` queues a batch; the Celery task is the
    default (tasks.py passes it in, which keeps this module free of task imports).
    """
    with transaction.atomic():
        digest = Digest.objects.select_for_update().select_related("newsletter").get(pk=digest_id)
        if digest.status == Digest.Status.APPROVED:
            paused = newsletter_sending_paused(newsletter_id=digest.newsletter_id)
            if paused:
                raise SendError(f"sending of this newsletter is paused: {paused}")
            if not digest.html:
                raise SendError("the digest has no rendered body: approve it again")
            digest.status = Digest.Status.SENDING
            digest.send_started_at = timezone.now()
            digest.audience_max_id = Subscriber.objects.aggregate(m=Max("id"))["m"] or 0
            digest.save(update_fields=["status", "send_started_at", "audience_max_id"])
        elif digest.status != Digest.Status.SENDING:
            raise SendError(f"a digest that is {digest.status} cannot be sent")
    if not digest.ledger_complete:
        ledger_build(digest=digest)
    batches_dispatch(digest_id=digest.pk, dispatch=dispatch)
    digest_finish_if_done(digest_id=digest.pk)
    return Digest.objects.get(pk=digest.pk)


def ledger_build(*, digest: Digest) -> int:
    """Write every Delivery row, in subscriber-id order, keyset-paginated, each chunk in
    its own short transaction; then one SendBatch per batch number."""
    size = esp.current_adapter().batch_size
    chunk = size * LEDGER_CHUNK_BATCHES
    progress = Delivery.objects.filter(digest=digest).aggregate(after=Max("subscriber_id"), batch=Max("batch"))
    after = progress["after"] or 0
    next_batch = 0 if progress["batch"] is None else progress["batch"] + 1
    audience = """
        SELECT s.id FROM subscriptions_subscriber s
        JOIN subscriptions_subscription sub ON sub.subscriber_id = s.id
        WHERE sub.newsletter_id = %s AND sub.status = 'subscribed' AND s.status = 'confirmed'
          AND s.id > %s AND s.id <= %s
        ORDER BY s.id LIMIT %s
    """
    while True:
        params = [digest.newsletter_id, after, digest.audience_max_id, chunk]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), max(id) FROM ({audience}) AS c", params)
            count, last = cursor.fetchone()
            if not count:
                break
            # "WHERE true": SQLite needs it to read ON CONFLICT after INSERT … SELECT.
            cursor.execute(
                f"""
                INSERT INTO subscriptions_delivery (digest_id, subscriber_id, batch, status, reason, esp_message_id)
                SELECT %s, c.id, %s + (ROW_NUMBER() OVER (ORDER BY c.id) - 1) / %s, 'pending', '', ''
                FROM ({audience}) AS c WHERE true
                ON CONFLICT DO NOTHING
                """,
                [digest.pk, next_batch, size, *params],
            )
        after = last
        next_batch += -(-count // size)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO subscriptions_sendbatch (digest_id, number, status, size, attempts, last_error)
                SELECT digest_id, batch, 'pending', count(*), 0, '' FROM subscriptions_delivery
                WHERE digest_id = %s GROUP BY digest_id, batch
                ON CONFLICT DO NOTHING
                """,
                [digest.pk],
            )
        recipients = Delivery.objects.filter(digest=digest).count()
        Digest.objects.filter(pk=digest.pk).update(ledger_complete=True, recipients=recipients)
    if connection.vendor == "postgresql":
        # A million new rows: fresh statistics keep the batch queries on their indexes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE subscriptions_delivery")
    log.info("ledger written", extra={"digest": digest.pk, "recipients": recipients, "batch_size": size})
    return recipients


def batches_dispatch(*, digest_id: int, dispatch=None, requeue_before=None) -> int:
    """Queue a task for each pending batch not yet queued (or queued before
    ``requeue_before``: the sweeper's lost tasks). Spread over the newsletter's delivery
    window when it has one."""
    if dispatch is None:
        from subscriptions.tasks import dispatch_batch as dispatch
    digest = Digest.objects.select_related("newsletter").get(pk=digest_id)
    if digest.status != Digest.Status.SENDING:
        return 0
    pending = SendBatch.objects.filter(digest_id=digest_id, status=SendBatch.Status.PENDING)
    if requeue_before is None:
        pending = pending.filter(queued_at__isnull=True)
    else:
        pending = pending.filter(queued_at__lt=requeue_before)
    numbers = list(pending.order_by("number").values_list("number", flat=True))
    if not numbers:
        return 0
    # Mark first: a batch that runs before this UPDATE commits must not look "lost".
    SendBatch.objects.filter(digest_id=digest_id, number__in=numbers).update(queued_at=timezone.now())
    window = digest.newsletter.send_window_minutes * 60
    for index, number in enumerate(numbers):
        countdown = int(window * index / len(numbers)) if window and requeue_before is None else 0
        dispatch(digest_id, number, countdown)
    return len(numbers)


# --------------------------------------------------------------------------- one batch
@dataclass
class Recipient:
    delivery_id: int
    subscriber_id: int
    email: str
    name: str


class Retry(Exception):
    """Nothing (more) was sent; try the batch again — after ``retry_after`` seconds when
    the ESP said so (429 Retry-After), else after the task's own backoff."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class _Uncertain(Exception):
    """The ESP may or may not have taken the batch (read timeout, broken answer)."""


class _Failed(Exception):
    """The ESP refused the batch for good (a 4xx other than 429)."""


def batch_send(*, digest_id: int, number: int) -> str:
    """Send one batch. Returns what happened (for logs and tests); raises ``Retry`` when
    the ESP refused with 429/5xx or could not be reached (the batch is pending again)."""
    claimed = _batch_claim(digest_id=digest_id, number=number)
    if isinstance(claimed, str):
        return claimed
    digest, recipients = claimed
    if not recipients:
        _batch_done(digest_id, number)
        return "empty"
    send_tokens_acquire(len(recipients))
    adapter = esp.current_adapter()
    try:
        if adapter.batches:
            outcomes = _send_merged(digest, number, recipients, adapter)
        else:
            outcomes = _send_copies(digest, number, recipients)
    except Retry as retry:
        _batch_release(digest, number, retry.reason)
        raise
    except _Uncertain as exc:
        batch_outcome_unknown(digest_id=digest_id, number=number, reason=str(exc))
        return "uncertain"
    except _Failed as exc:
        batch_failed(digest_id=digest_id, number=number, reason=str(exc))
        return "failed"
    _record(digest, number, outcomes)
    return "sent"


def _batch_claim(*, digest_id: int, number: int):
    """The short transaction before the ESP call: lock, re-check, mark submitting."""
    now = timezone.now()
    with transaction.atomic():
        batch = (
            SendBatch.objects.select_for_update(skip_locked=True).filter(digest_id=digest_id, number=number).first()
        )
        if batch is None:
            return "busy"  # another worker is claiming it this very moment
        if batch.status in (SendBatch.Status.DONE, SendBatch.Status.UNCERTAIN):
            return "already"
        if batch.status == SendBatch.Status.SUBMITTING:
            if batch.claimed_at and now - batch.claimed_at < timedelta(seconds=settings.SEND_SUBMITTING_TIMEOUT):
                return "in-flight"  # a redelivered task while the first is still calling the ESP
            _batch_uncertain(batch, "the worker stopped during the ESP call")
            return "uncertain"
        digest = Digest.objects.select_related("newsletter").get(pk=digest_id)
        if digest.status == Digest.Status.CANCELLED:
            Delivery.objects.filter(digest_id=digest_id, batch=number, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SKIPPED, reason="digest cancelled"
            )
            batch.status, batch.finished_at = SendBatch.Status.DONE, now
            batch.save(update_fields=["status", "finished_at"])
            return "cancelled"
        if digest.status != Digest.Status.SENDING:
            return "paused"  # stays pending; resuming queues it again
        # The world may have moved since the ledger was written: unsubscribed, bounced,
        # complained or erased readers are skipped, not sent. Looked up by primary key
        # for this batch's readers only, so the plan cannot go wrong whatever the
        # table statistics say right after a bulk load.
        pending = list(
            Delivery.objects.filter(digest_id=digest_id, batch=number, status=Delivery.Status.PENDING)
            .order_by("id")
            .values_list("id", "subscriber_id")
        )
        eligible = {
            row[0]: row
            for row in Subscription.objects.filter(
                subscriber_id__in=[sid for _, sid in pending if sid],
                newsletter_id=digest.newsletter_id,
                status=Subscription.Status.SUBSCRIBED,
                subscriber__status=Subscriber.Status.CONFIRMED,
            ).values_list("subscriber_id", "subscriber__email", "subscriber__name")
        }
        recipients = [Recipient(did, sid, eligible[sid][1], eligible[sid][2]) for did, sid in pending if sid in eligible]
        skipped = [did for did, sid in pending if sid not in eligible]
        if skipped:
            Delivery.objects.filter(id__in=skipped).update(status=Delivery.Status.SKIPPED, reason="no longer subscribed")
        if recipients:
            Delivery.objects.filter(id__in=[r.delivery_id for r in recipients]).update(status=Delivery.Status.SUBMITTING)
        batch.status, batch.claimed_at, batch.attempts = SendBatch.Status.SUBMITTING, now, batch.attempts + 1
        batch.save(update_fields=["status", "claimed_at", "attempts"])
    return digest, recipients


def _batch_release(digest: Digest, number: int, reason: str) -> None:
    """The ESP took nothing: back to pending for a retry, and count the error streak."""
    with transaction.atomic():
        Delivery.objects.filter(digest=digest, batch=number, status=Delivery.Status.SUBMITTING).update(
            status=Delivery.Status.PENDING
        )
        SendBatch.objects.filter(digest=digest, number=number).update(
            status=SendBatch.Status.PENDING, last_error=reason[:300], queued_at=timezone.now()
        )
        _error_streak(digest, reason)


def _error_streak(digest: Digest, reason: str) -> None:
    streak = Digest.objects.filter(pk=digest.pk).values_list("esp_error_streak", flat=True).get() + 1
    Digest.objects.filter(pk=digest.pk).update(esp_error_streak=streak)
    if streak >= settings.SEND_AUTO_PAUSE_AFTER:
        paused = Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
            status=Digest.Status.PAUSED, pause_reason=f"paused after {streak} ESP errors in a row: {reason}"[:300]
        )
        if paused:
            log.warning("digest paused after ESP errors", extra={"digest": digest.pk, "streak": streak})


def _batch_uncertain(batch: SendBatch, reason: str) -> None:
    Delivery.objects.filter(digest_id=batch.digest_id, batch=batch.number, status=Delivery.Status.SUBMITTING).update(
        status=Delivery.Status.UNCERTAIN, reason=reason
    )
    batch.status, batch.finished_at, batch.last_error = SendBatch.Status.UNCERTAIN, timezone.now(), reason
    batch.save(update_fields=["status", "finished_at", "last_error"])
    log.warning("batch uncertain", extra={"digest": batch.digest_id, "batch": batch.number, "reason": reason})


def _batch_done(digest_id: int, number: int) -> None:
    SendBatch.objects.filter(digest_id=digest_id, number=number).update(
        status=SendBatch.Status.DONE, finished_at=timezone.now()
    )
    digest_finish_if_done(digest_id=digest_id)


# --------------------------------------------------------------------------- the ESP call
@dataclass
class Outcome:
    status: str  # a Delivery.Status value
    message_id: str = ""
    reason: str = ""


@dataclass(frozen=True)
class _Shared:
    """What every copy of a digest has alike, worked out once per batch; only the
    reader's name, unsubscribe link and Message-ID differ per copy."""

    digest_id: int
    newsletter_id: int
    subject: str
    from_email: str
    reply_to: list[str] | None
    web_url: str
    headers: dict[str, str]  # List-Unsubscribe-Post, List-Id
    domain: str

    @classmethod
    def of(cls, digest: Digest) -> "_Shared":
        newsletter = digest.newsletter
        return cls(
            digest_id=digest.pk,
            newsletter_id=newsletter.pk,
            subject=" ".join(digest.subject.split()),
            from_email=sender(newsletter),
            reply_to=[newsletter.reply_to] if newsletter.reply_to else None,
            web_url=digest_web_url(digest),
            headers=list_headers_shared(newsletter),
            domain=urlsplit(settings.SITE_URL).hostname or "nashra.local",
        )

    def fields(self, r: Recipient) -> dict[str, str]:
        return {"name": r.name, "unsubscribe_url": unsubscribe_url(r.subscriber_id, self.newsletter_id),
                "web_url": self.web_url}

    def message_id(self, r: Recipient) -> str:
        """Unique per copy and the same on a resend, so a mailbox that already holds
        the first copy of an "uncertain" resend can recognise the second as a
        duplicate. It names the digest and reader, so an ESP event can be traced back."""
        return f"<nashra.d{self.digest_id}.s{r.subscriber_id}@{self.domain}>"

    def metadata(self, r: Recipient, number: int) -> dict[str, str]:
        # Comes back on every ESP event: it is how receivers.py finds this delivery.
        return {"digest": str(self.digest_id), "subscriber": str(r.subscriber_id), "batch": str(number)}


# The body in the ESP's merge syntax is the same for every batch of a digest: made once
# per process and digest, not per batch.
_esp_bodies: dict[tuple, tuple[str, str]] = {}


def _esp_body(digest: Digest, adapter: esp.Adapter) -> tuple[str, str]:
    key = (digest.pk, digest.rendered_at, adapter.name)
    if key not in _esp_bodies:
        _esp_bodies.clear()
        _esp_bodies[key] = (
            esp.to_esp_syntax(digest.html, adapter=adapter, html=True),
            esp.to_esp_syntax(digest.text, adapter=adapter, html=False),
        )
    return _esp_bodies[key]


def _send_merged(digest: Digest, number: int, recipients: list[Recipient], adapter: esp.Adapter) -> dict[int, Outcome]:
    """One message, many recipients, personalised by the ESP from merge_data."""
    html, text = _esp_body(digest, adapter)
    shared = _Shared.of(digest)
    message = AnymailMessage(
        subject=shared.subject, body=text, from_email=shared.from_email, to=[r.email for r in recipients],
        reply_to=shared.reply_to, headers=shared.headers,
    )
    message.attach_alternative(html, "text/html")
    message.merge_data, message.merge_headers, message.merge_metadata = {}, {}, {}
    message_ids = {}
    for r in recipients:
        fields = shared.fields(r)
        message.merge_data[r.email] = esp.merge_values(fields)
        message_ids[r.delivery_id] = shared.message_id(r)
        message.merge_headers[r.email] = {
            "List-Unsubscribe": list_unsubscribe(fields["unsubscribe_url"]), "Message-ID": message_ids[r.delivery_id],
        }
        message.merge_metadata[r.email] = shared.metadata(r, number)
    # Without merge_data an ESP sends ONE message showing every address in To.
    assert len(message.merge_data) == len(recipients), "merge_data must cover every recipient"
    message.tags = ["digest", f"digest-{digest.pk}"]
    try:
        mailers.default.send_messages([message])
    except AnymailRecipientsRefused:
        pass  # every recipient refused: anymail_status below says why, per address
    except AnymailRequestsAPIError as exc:
        _raise_for_api_error(exc)
    except AnymailError as exc:  # refused before any call (bad settings, bad data)
        return {r.delivery_id: Outcome(Delivery.Status.FAILED, reason=str(exc)[:300]) for r in recipients}
    status = message.anymail_status
    outcomes = {}
    for r in recipients:
        own = status.recipients.get(r.email) if status and status.recipients else None
        if own is not None and own.status in ("rejected", "invalid", "failed"):
            outcomes[r.delivery_id] = Outcome(Delivery.Status.FAILED, reason=f"ESP: {own.status}")
        else:
            esp_id = (own.message_id if own and own.message_id else "") or ""
            outcomes[r.delivery_id] = Outcome(Delivery.Status.SENT, message_id=(esp_id or message_ids[r.delivery_id]))
    return outcomes


def _raise_for_api_error(exc: AnymailRequestsAPIError):
    """429/5xx/no connection → Retry (nothing was taken). A read timeout or a broken
    answer → uncertain. Any other 4xx → the batch failed, with the reason."""
    cause = exc.__cause__
    status = exc.status_code
    if status is None:
        if isinstance(cause, requests.ConnectTimeout) or _refused(cause):
            raise Retry(f"ESP unreachable: {cause.__class__.__name__}") from exc
        raise _Uncertain(f"no answer from the ESP ({cause.__class__.__name__ if cause else 'unknown'})") from exc
    if status == 429 or status >= 500:
        raise Retry(f"ESP answered {status}", _retry_after(exc)) from exc
    raise _Failed(f"ESP refused the batch ({status}): {_short(exc)}") from exc


def _refused(cause) -> bool:
    """A connection that was never established: the request never left this machine."""
    text = repr(cause)
    return isinstance(cause, requests.ConnectionError) and (
        "NewConnectionError" in text or "Connection refused" in text or "Name or service not known" in text
    )


def _retry_after(exc) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _short(exc) -> str:
    response = getattr(exc, "response", None)
    return (response.text if response is not None else str(exc))[:200]


def backoff(attempt: int) -> float:
    """Exponential with jitter: ~2, 4, 8 … s, capped at 5 minutes."""
    return random.uniform(0.5, 1.0) * min(300.0, 2.0 ** (attempt + 1))


def _send_copies(digest: Digest, number: int, recipients: list[Recipient]) -> dict[int, Outcome]:
    """One ready-made copy per recipient, over one connection (SMTP, Postmark…)."""
    shared = _Shared.of(digest)
    envelope_from = digest.newsletter.from_email
    outcomes: dict[int, Outcome] = {}
    connection_ = mailers.default
    # Plain SMTP takes raw bytes: splice each copy into a message serialised once.
    raw = (
        CopyTemplate(subject=shared.subject, from_email=shared.from_email, reply_to=shared.reply_to,
                     headers=shared.headers)
        if isinstance(connection_, SmtpBackend) else None
    )
    try:
        connection_.open()
    except Exception as exc:  # could not even connect: nobody was sent anything
        raise Retry(f"mail server unreachable: {exc.__class__.__name__}") from exc
    try:
        for index, r in enumerate(recipients):
            fields = shared.fields(r)
            message_id = shared.message_id(r)
            text = digest_personalize(body=digest.text, fields=fields, html=False)
            html = digest_personalize(body=digest.html, fields=fields, html=True)
            try:
                if raw is not None and r.email.isascii():
                    connection_.connection.sendmail(
                        envelope_from, [r.email],
                        raw.render(to=r.email, unsubscribe_url=fields["unsubscribe_url"], message_id=message_id,
                                   text=text, html=html),
                    )
                    esp_id = ""
                else:
                    message = EmailMultiAlternatives(
                        subject=shared.subject, body=text, from_email=shared.from_email, to=[r.email],
                        reply_to=shared.reply_to,
                        headers={**shared.headers, "List-Unsubscribe": list_unsubscribe(fields["unsubscribe_url"]),
                                 "Message-ID": message_id},
                    )
                    message.attach_alternative(html, "text/html")
                    message.metadata = shared.metadata(r, number)
                    connection_.send_messages([message])
                    status = getattr(message, "anymail_status", None)
                    esp_id = status.message_id if status is not None and isinstance(status.message_id, str) else ""
            except Exception as exc:
                outcome = _copy_failure(exc)
                if outcome is None:
                    # The connection broke mid-message: this one is unknown, the rest
                    # were never tried and go back to pending for the retry.
                    outcomes[r.delivery_id] = Outcome(Delivery.Status.UNCERTAIN, reason=f"connection lost: {exc.__class__.__name__}")
                    for rest in recipients[index + 1 :]:
                        outcomes[rest.delivery_id] = Outcome(Delivery.Status.PENDING)
                    break
                outcomes[r.delivery_id] = outcome
                continue
            outcomes[r.delivery_id] = Outcome(Delivery.Status.SENT, message_id=(esp_id or message_id).strip("<>"))
    finally:
        try:
            connection_.close()
        except Exception:  # closing a broken connection must not hide the outcomes
            pass
    return outcomes


def _copy_failure(exc: Exception) -> Outcome | None:
    """A per-recipient refusal → failed; a broken connection → None (unknown)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return Outcome(Delivery.Status.FAILED, reason=f"refused: {exc.recipients}"[:300])
    if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
        return Outcome(Delivery.Status.FAILED, reason=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:300])
    if isinstance(exc, AnymailRequestsAPIError) and exc.status_code is not None and exc.status_code < 500 and exc.status_code != 429:
        return Outcome(Delivery.Status.FAILED, reason=f"ESP {exc.status_code}: {_short(exc)}"[:300])
    return None


# --------------------------------------------------------------------------- outcomes
def _record(digest: Digest, number: int, outcomes: dict[int, Outcome]) -> None:
    """Write each recipient's outcome: one UPDATE per (status, reason) group, and the
    ESP's own message ids (when it gave per-copy ids) in one UPDATE … FROM (VALUES …)."""
    now = timezone.now()
    groups: dict[tuple[str, str], list[int]] = {}
    esp_ids: list[tuple[int, str]] = []
    for delivery_id, outcome in outcomes.items():
        groups.setdefault((outcome.status, outcome.reason), []).append(delivery_id)
        if outcome.message_id:
            esp_ids.append((delivery_id, outcome.message_id[:255]))
    # A batch API often answers with one id for the whole call: one value, no VALUES list.
    shared_id = esp_ids[0][1] if esp_ids and len({mid for _, mid in esp_ids}) == 1 else None
    retry_rest = any(status == Delivery.Status.PENDING for status, _ in groups)
    with transaction.atomic():
        for (status, reason), ids in groups.items():
            fields = {"status": status, "reason": reason[:300], "sent_at": now if status == Delivery.Status.SENT else None}
            if shared_id and status == Delivery.Status.SENT:
                fields["esp_message_id"] = shared_id
            Delivery.objects.filter(id__in=ids).update(**fields)
        if not shared_id:
            _set_message_ids(esp_ids)
        if retry_rest:
            SendBatch.objects.filter(digest=digest, number=number).update(status=SendBatch.Status.PENDING)
        else:
            SendBatch.objects.filter(digest=digest, number=number).update(
                status=SendBatch.Status.DONE, finished_at=now, last_error=""
            )
        Digest.objects.filter(pk=digest.pk).update(esp_error_streak=0)
    if retry_rest:
        raise Retry("connection lost mid-batch")
    digest_finish_if_done(digest_id=digest.pk)


def _set_message_ids(pairs: list[tuple[int, str]]) -> None:
    if not pairs:
        return
    values = ", ".join(["(%s, %s)"] * len(pairs))
    params = [item for pair in pairs for item in pair]
    with connection.cursor() as cursor:
        # A CTE rather than UPDATE … FROM: the same statement runs on PostgreSQL and SQLite.
        cursor.execute(
            f"WITH v(id, mid) AS (VALUES {values}) "
            "UPDATE subscriptions_delivery SET esp_message_id = (SELECT mid FROM v WHERE v.id = subscriptions_delivery.id) "
            "WHERE id IN (SELECT id FROM v)",
            params,
        )


def batch_outcome_unknown(*, digest_id: int, number: int, reason: str) -> None:
    """A read timeout (or another unknowable end) of the ESP call: the batch is uncertain."""
    with transaction.atomic():
        batch = SendBatch.objects.select_for_update().get(digest_id=digest_id, number=number)
        _batch_uncertain(batch, reason[:300])
    digest_finish_if_done(digest_id=digest_id)


def batch_failed(*, digest_id: int, number: int, reason: str) -> None:
    """The ESP refused the whole batch for good (a 4xx other than 429), or retries ran out."""
    with transaction.atomic():
        Delivery.objects.filter(
            digest_id=digest_id, batch=number, status__in=[Delivery.Status.SUBMITTING, Delivery.Status.PENDING]
        ).update(
            status=Delivery.Status.FAILED, reason=reason[:300]
        )
        SendBatch.objects.filter(digest_id=digest_id, number=number).update(
            status=SendBatch.Status.DONE, finished_at=timezone.now(), last_error=reason[:300]
        )
        _error_streak(Digest.objects.get(pk=digest_id), reason)
    digest_finish_if_done(digest_id=digest_id)


# --------------------------------------------------------------------------- progress, finish
def audience_count(*, newsletter_id: int) -> int:
    """Readers a send would reach now (for the confirmation page; the send itself
    freezes its own audience when it starts)."""
    return Subscription.objects.filter(
        newsletter_id=newsletter_id, status=Subscription.Status.SUBSCRIBED, subscriber__status=Subscriber.Status.CONFIRMED
    ).count()


def digest_progress(*, digest_id: int) -> dict[str, int]:
    """Counts by delivery status, in one grouped query over the ledger's index."""
    counts = dict(
        Delivery.objects.filter(digest_id=digest_id).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    report = {status: counts.get(status, 0) for status in Delivery.Status.values}
    report["recipients"] = sum(counts.values())
    return report


def digest_finish_if_done(*, digest_id: int) -> bool:
    """Sending → sent once no batch is pending or submitting; record totals that add up."""
    if SendBatch.objects.filter(
        digest_id=digest_id, status__in=[SendBatch.Status.PENDING, SendBatch.Status.SUBMITTING]
    ).exists():
        return False
    digest = Digest.objects.filter(pk=digest_id, ledger_complete=True).first()
    if digest is None or digest.status not in (Digest.Status.SENDING, Digest.Status.SENT):
        return False
    progress = digest_progress(digest_id=digest_id)
    totals = {k: progress[k] for k in ("recipients", "sent", "failed", "skipped", "uncertain")}
    finished = Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).update(
        status=Digest.Status.SENT, sent_at=timezone.now(), totals=totals
    )
    if not finished:  # already sent: a resend round finished — refresh the totals
        Digest.objects.filter(pk=digest_id).update(totals=totals)
    else:
        log.info("digest sent", extra={"digest": digest_id, **totals})
    return True


# --------------------------------------------------------------------------- editor controls
def digest_pause(*, digest_id: int, reason: str = "paused by an editor") -> bool:
    return bool(Digest.objects.filter(pk=digest_id, status=Digest.Status.SENDING).update(
        status=Digest.Status.PAUSED, pause_reason=reason[:300]
    ))


def digest_resume(*, digest_id: int, dispatch=None) -> bool:
    resumed = Digest.objects.filter(pk=digest_id, status=Digest.Status.PAUSED).update(
        status=Digest.Status.SENDING, pause_reason="", esp_error_streak=0
    )
    if resumed:
        # Batches that met the pause stayed pending with a queued_at: queue them again.
        batches_dispatch(digest_id=digest_id, dispatch=dispatch, requeue_before=timezone.now() + timedelta(seconds=1))
        batches_dispatch(digest_id=digest_id, dispatch=dispatch)
    return bool(resumed)


def digest_cancel_sending(*, digest_id: int) -> bool:
    """Stop for good: batches not yet sent skip their readers (when their task runs, or
    now for the ones no task will ever pick up)."""
    with transaction.atomic():
        cancelled = Digest.objects.filter(
            pk=digest_id, status__in=[Digest.Status.SENDING, Digest.Status.PAUSED]
        ).update(status=Digest.Status.CANCELLED)
        if cancelled:
            Delivery.objects.filter(digest_id=digest_id, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SKIPPED, reason="digest cancelled"
            )
            SendBatch.objects.filter(digest_id=digest_id, status=SendBatch.Status.PENDING).update(
                status=SendBatch.Status.DONE, finished_at=timezone.now()
            )
    return bool(cancelled)


def digest_resend(*, digest_id: int, which: str, dispatch=None) -> int:
    """"Resend to failed" / "Resend uncertain": those rows go back to pending in fresh
    batches and the digest is sending again. An uncertain reader may get a second copy —
    that is the editor's informed choice, shown on the button."""
    status = {"failed": Delivery.Status.FAILED, "uncertain": Delivery.Status.UNCERTAIN}[which]
    size = esp.current_adapter().batch_size
    with transaction.atomic():
        digest = Digest.objects.select_for_update().get(pk=digest_id)
        if digest.status not in (Digest.Status.SENT, Digest.Status.SENDING, Digest.Status.PAUSED):
            raise SendError("only a digest that has gone out can be resent")
        ids = list(
            Delivery.objects.filter(digest_id=digest_id, status=status).order_by("id").values_list("id", flat=True)
        )
        if not ids:
            return 0
        first = (SendBatch.objects.filter(digest_id=digest_id).aggregate(m=Max("number"))["m"] or 0) + 1
        for offset in range(0, len(ids), size):
            number = first + offset // size
            chunk = ids[offset : offset + size]
            Delivery.objects.filter(id__in=chunk).update(status=Delivery.Status.PENDING, batch=number, reason="")
            SendBatch.objects.create(digest_id=digest_id, number=number, size=len(chunk))
        if which == "uncertain":  # their rows moved to the new batches above
            SendBatch.objects.filter(digest_id=digest_id, status=SendBatch.Status.UNCERTAIN).update(
                status=SendBatch.Status.DONE
            )
        Digest.objects.filter(pk=digest_id).update(status=Digest.Status.SENDING, esp_error_streak=0)
    batches_dispatch(digest_id=digest_id, dispatch=dispatch)
    return len(ids)


# --------------------------------------------------------------------------- sweeper
def sending_sweep(*, dispatch=None, now=None) -> dict[str, int]:
    """Beat, every minute: queue again batches whose task was lost; declare uncertain the
    ones whose worker died mid-call; finish digests whose last batch resolved."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.SEND_SUBMITTING_TIMEOUT)
    abandoned = 0
    for batch in SendBatch.objects.filter(status=SendBatch.Status.SUBMITTING, claimed_at__lt=stale):
        with transaction.atomic():
            locked = SendBatch.objects.select_for_update(skip_locked=True).filter(
                pk=batch.pk, status=SendBatch.Status.SUBMITTING
            ).first()
            if locked:
                _batch_uncertain(locked, "the worker stopped during the ESP call")
                abandoned += 1
    requeued = 0
    lost_before = now - timedelta(seconds=settings.SEND_REQUEUE_AFTER)
    digests = set(
        SendBatch.objects.filter(status=SendBatch.Status.PENDING, queued_at__lt=lost_before)
        .values_list("digest_id", flat=True)
    )
    for digest_id in digests:
        requeued += batches_dispatch(digest_id=digest_id, dispatch=dispatch, requeue_before=lost_before)
    finished = 0
    for digest_id in Digest.objects.filter(status=Digest.Status.SENDING, ledger_complete=True).values_list("pk", flat=True):
        finished += digest_finish_if_done(digest_id=digest_id)
    return {"uncertain": abandoned, "requeued": requeued, "finished": finished}


def wait_until_resolved(*, digest_id: int, timeout: float, on_progress=None, interval: float = 1.0) -> dict:
    """For ``send_digest --wait``: poll the ledger until the digest stops (sent, paused
    or cancelled) — through "approved" while its task waits for a worker."""
    deadline = time.monotonic() + timeout
    while True:
        progress = digest_progress(digest_id=digest_id)
        if on_progress:
            on_progress(progress)
        status = Digest.objects.values_list("status", flat=True).get(pk=digest_id)
        if status in (Digest.Status.SENT, Digest.Status.PAUSED, Digest.Status.CANCELLED):
            return progress
        if time.monotonic() > deadline:
            return progress
        time.sleep(interval)
