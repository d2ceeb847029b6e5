"""Posting realistic ESP webhooks at Anymail's real views, and a sending ledger to point
them at. Payloads live in tests/data/webhooks/ (see its README)."""

import base64
import hashlib
import hmac
import itertools
import json
import secrets
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from subscriptions.models import Delivery, Digest, Subscriber, Subscription
from tests.factories import NewsletterFactory

DATA = Path(__file__).parent / "data" / "webhooks"
PLACEHOLDER = "reader@example.com"  # the address in every payload file
WEBHOOK_SECRET = "nashra-esp:webhook-s3cret"
MAILGUN_SIGNING_KEY = "mailgun-webhook-signing-key-for-tests"
ANYMAIL_SETTINGS = {"WEBHOOK_SECRET": WEBHOOK_SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY}
# Postmark's time field, by record type.
POSTMARK_TIME = ("DeliveredAt", "ReceivedAt", "BouncedAt", "ChangedAt")

_periods = itertools.count(1)


def load(esp: str, name: str, *, email: str = PLACEHOLDER) -> dict:
    return json.loads((DATA / esp / f"{name}.json").read_text(encoding="utf-8").replace(PLACEHOLDER, email))


def our_metadata(delivery: Delivery) -> dict[str, str]:
    """What the sending pipeline puts on every copy (merge_metadata), as the ESP
    reports it back: string values."""
    return {
        "digest": str(delivery.digest_id),
        "subscriber": str(delivery.subscriber_id),
        "batch": str(delivery.batch),
    }


def mailgun_sign(data: dict, *, key: str = MAILGUN_SIGNING_KEY, token: str | None = None) -> dict:
    timestamp = str(int(float(data["event-data"]["timestamp"])))
    token = token or secrets.token_hex(25)
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data["signature"] = {"timestamp": timestamp, "token": token, "signature": signature}
    return data


def mailgun_event(
    name: str,
    *,
    delivery: Delivery | None = None,
    email: str | None = None,
    at=None,
    metadata: dict | None = None,
    message_id: str | None = None,
    key: str = MAILGUN_SIGNING_KEY,
) -> dict:
    """A Mailgun webhook body for one copy: its address, our metadata (``{}`` for
    none), its message id, the event time; freshly signed (a new token = a new event)."""
    data = load("mailgun", name, email=email or (delivery.subscriber.email if delivery else PLACEHOLDER))
    event = data["event-data"]
    event["user-variables"] = our_metadata(delivery) if metadata is None and delivery else (metadata or {})
    message_id = message_id or (delivery.esp_message_id if delivery else "")
    if message_id:
        event["message"]["headers"]["message-id"] = message_id.strip("<>")
    event["timestamp"] = (at or timezone.now()).timestamp()
    return mailgun_sign(data, key=key)


def postmark_event(
    name: str,
    *,
    delivery: Delivery | None = None,
    email: str | None = None,
    at=None,
    metadata: dict | None = None,
    message_id: str | None = None,
) -> dict:
    data = load("postmark", name, email=email or (delivery.subscriber.email if delivery else PLACEHOLDER))
    data["Metadata"] = our_metadata(delivery) if metadata is None and delivery else (metadata or {})
    message_id = message_id or (delivery.esp_message_id if delivery else "")
    if message_id:
        data["MessageID"] = message_id
    for field in POSTMARK_TIME:
        if field in data:
            data[field] = (at or timezone.now()).isoformat()
    if "ID" in data:  # bounces and complaints carry Postmark's id; a new one = a new event
        data["ID"] = secrets.randbelow(2**62)
    return data


def basic_auth(secret: str) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def post(client, esp: str, payload: dict, *, auth: str | None = WEBHOOK_SECRET):
    headers = {"HTTP_AUTHORIZATION": basic_auth(auth)} if auth else {}
    return client.post(
        f"/anymail/{esp}/tracking/", data=json.dumps(payload), content_type="application/json", **headers
    )


def ledger(
    n: int = 1,
    *,
    newsletter=None,
    status: str = Delivery.Status.SENT,
    sent_ago=timedelta(hours=1),
    digest_status: str = Digest.Status.SENDING,
) -> tuple[Digest, list[Delivery]]:
    """A digest going out to ``n`` confirmed readers, each with a Delivery row sent
    ``sent_ago`` (batches of 1,000 share a message id, as Mailgun's batch sends do)."""
    now = timezone.now()
    newsletter = newsletter or NewsletterFactory()
    number = next(_periods)
    digest = Digest.objects.create(
        newsletter=newsletter,
        period_start=now - timedelta(days=7 + number),
        period_end=now - timedelta(days=number),
        subject=f"الأيام في هذا الأسبوع · {number}",
        slug=f"{newsletter.slug}-test-{number}",
        status=digest_status,
        approved_at=now - sent_ago - timedelta(minutes=5),
        send_started_at=now - sent_ago,
    )
    readers = Subscriber.objects.bulk_create(
        Subscriber(
            email=f"reader{i}.{digest.pk}@example.com",
            name="قارئ",
            status=Subscriber.Status.CONFIRMED,
            confirmed_at=now - timedelta(days=30),
        )
        for i in range(n)
    )
    Subscription.objects.bulk_create(Subscription(subscriber=s, newsletter=newsletter) for s in readers)
    sent_at = None if status == Delivery.Status.UNCERTAIN else now - sent_ago
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            digest=digest,
            subscriber=s,
            batch=1 + i // 1000,
            status=status,
            sent_at=sent_at,
            esp_message_id="" if sent_at is None else f"<{digest.pk}.{1 + i // 1000}.batch@news.example>",
        )
        for i, s in enumerate(readers)
    )
    for delivery, reader in zip(deliveries, readers):
        delivery.subscriber = reader
    return digest, deliveries
