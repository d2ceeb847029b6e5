"""ESP events through Anymail's real Mailgun and Postmark webhook views: security, each
event type's effect, replays, machines' opens and clicks, the 1,000-event burst."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subscriptions.models import ConsentEvent, Delivery, EspEvent, Subscriber, Subscription
from tests.factories import NewsletterFactory, SubscriberFactory, SubscriptionFactory
from tests.webhooks import (
    ANYMAIL_SETTINGS,
    ledger,
    mailgun_event,
    mailgun_sign,
    our_metadata,
    post,
    postmark_event,
)

pytestmark = pytest.mark.django_db

EVENT = {"mailgun": mailgun_event, "postmark": postmark_event}
# The same happening in each ESP's own words (fixture file names).
NAMES = {
    "delivered": {"mailgun": "delivered", "postmark": "delivery"},
    "opened": {"mailgun": "opened", "postmark": "open"},
    "machine_open": {"mailgun": "opened_by_apple_proxy", "postmark": "open_by_apple_proxy"},
    "clicked": {"mailgun": "clicked", "postmark": "click"},
    "hard_bounce": {"mailgun": "failed_permanent", "postmark": "bounce_hard"},
    "soft_bounce": {"mailgun": "failed_temporary", "postmark": "bounce_soft"},
    "complained": {"mailgun": "complained", "postmark": "spam_complaint"},
    "unsubscribed": {"mailgun": "unsubscribed", "postmark": "subscription_change"},
}
ESPS = ["mailgun", "postmark"]


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, **ANYMAIL_SETTINGS}
    settings.BOT_CLICK_SECONDS = 10


@pytest.fixture
def one():
    _digest, (delivery,) = ledger(1)
    return delivery


def send(client, esp, happening, delivery, **kwargs):
    payload = EVENT[esp](NAMES[happening][esp], delivery=delivery, **kwargs)
    response = post(client, esp, payload)
    assert response.status_code == 200, response.content
    return payload


def fresh(delivery) -> Delivery:
    return Delivery.objects.select_related("subscriber").get(pk=delivery.pk)


# --------------------------------------------------------------------------- security
def test_the_webhook_lives_outside_the_language_prefix(client, one):
    payload = postmark_event("delivery", delivery=one)
    response = post(client, "postmark", payload)
    assert response.status_code == 200 and "Location" not in response


@pytest.mark.parametrize("esp", ESPS)
@pytest.mark.parametrize("auth", [None, "nashra-esp:wrong", "someone:else"])
def test_missing_or_wrong_basic_auth_is_refused_and_changes_nothing(client, one, esp, auth):
    payload = EVENT[esp](NAMES["complained"][esp], delivery=one)
    response = post(client, esp, payload, auth=auth)
    assert response.status_code == 400
    assert not EspEvent.objects.exists()
    assert fresh(one).subscriber.status == Subscriber.Status.CONFIRMED


def test_a_bad_mailgun_signature_is_refused_even_with_the_right_password(client, one):
    forged = mailgun_event("complained", delivery=one, key="not-the-signing-key")
    assert post(client, "mailgun", forged).status_code == 400
    unsigned = mailgun_event("complained", delivery=one)
    del unsigned["signature"]
    assert post(client, "mailgun", unsigned).status_code == 400
    assert not EspEvent.objects.exists()
    assert fresh(one).subscriber.status == Subscriber.Status.CONFIRMED


def test_a_deployment_without_a_webhook_secret_is_warned_about(settings):
    from django.core import checks

    settings.ANYMAIL = {}
    assert "nashra.W001" in {m.id for m in checks.run_checks(include_deployment_checks=True)}
    settings.ANYMAIL = ANYMAIL_SETTINGS
    assert "nashra.W001" not in {m.id for m in checks.run_checks(include_deployment_checks=True)}


# --------------------------------------------------------------------------- effects
@pytest.mark.parametrize("esp", ESPS)
def test_delivered_stamps_the_delivery(client, one, esp):
    at = timezone.now() - timedelta(minutes=59)
    send(client, esp, "delivered", one, at=at)
    delivery = fresh(one)
    assert abs(delivery.delivered_at - at) < timedelta(milliseconds=1)
    assert delivery.status == Delivery.Status.SENT and delivery.opened_at is None
    event = EspEvent.objects.get()
    assert (event.event_type, event.delivery_id, event.is_bot) == ("delivered", one.pk, False)
    assert event.esp == {"mailgun": "Mailgun", "postmark": "Postmark"}[esp]


@pytest.mark.parametrize("esp", ESPS)
def test_a_readers_open_and_click_count_and_the_first_of_each_wins(client, one, esp):
    first_open, later_open = timezone.now() - timedelta(minutes=30), timezone.now() - timedelta(minutes=5)
    send(client, esp, "opened", one, at=later_open)
    send(client, esp, "opened", one, at=first_open)  # webhooks arrive in any order
    send(client, esp, "clicked", one, at=later_open)
    delivery = fresh(one)
    assert abs(delivery.opened_at - first_open) < timedelta(milliseconds=1)
    assert abs(delivery.clicked_at - later_open) < timedelta(milliseconds=1)
    assert EspEvent.objects.filter(is_bot=False).count() == 3


@pytest.mark.parametrize("esp", ESPS)
def test_a_permanent_bounce_ends_the_address_with_a_consent_event(client, one, esp):
    send(client, esp, "hard_bounce", one)
    delivery = fresh(one)
    assert delivery.subscriber.status == Subscriber.Status.BOUNCED
    assert delivery.bounced_at is not None and delivery.status == Delivery.Status.SENT
    logged = ConsentEvent.objects.get(subscriber=one.subscriber)
    assert (logged.event, logged.form, logged.newsletter_id) == (
        "bounce",
        f"esp:{esp}",
        one.digest.newsletter_id,
    )
    event = EspEvent.objects.get()
    assert event.reject_reason == "bounced"
    # The bounce message quoted the address; nothing readable of it is kept.
    assert event.detail and one.subscriber.email not in event.detail
    assert event.recipient_hash and one.subscriber.email not in event.recipient_hash


@pytest.mark.parametrize("esp", ESPS)
def test_a_temporary_failure_keeps_the_reader(client, one, esp):
    send(client, esp, "soft_bounce", one)
    assert fresh(one).subscriber.status == Subscriber.Status.CONFIRMED
    assert not ConsentEvent.objects.exists()
    assert EspEvent.objects.get().event_type == {"mailgun": "deferred", "postmark": "bounced"}[esp]


def test_postmark_rejecting_an_invalid_address_ends_it_and_settles_an_uncertain_copy_as_failed(client):
    _digest, (delivery,) = ledger(1, status=Delivery.Status.UNCERTAIN)
    post(client, "postmark", postmark_event("bounce_bad_address", delivery=delivery))
    delivery = fresh(delivery)
    assert delivery.subscriber.status == Subscriber.Status.BOUNCED
    assert delivery.status == Delivery.Status.FAILED and "rejected" in delivery.reason
    assert EspEvent.objects.get().reject_reason == "invalid"


@pytest.mark.parametrize("esp", ESPS)
def test_a_complaint_ends_the_address_with_a_consent_event(client, one, esp):
    send(client, esp, "complained", one)
    delivery = fresh(one)
    assert delivery.subscriber.status == Subscriber.Status.COMPLAINED and delivery.complained_at is not None
    assert ConsentEvent.objects.get(subscriber=one.subscriber).event == "complaint"


def test_a_complaint_outranks_an_earlier_bounce(client, one):
    send(client, "mailgun", "hard_bounce", one)
    send(client, "mailgun", "complained", one)
    assert fresh(one).subscriber.status == Subscriber.Status.COMPLAINED
    assert list(ConsentEvent.objects.order_by("id").values_list("event", flat=True)) == [
        "bounce",
        "complaint",
    ]


@pytest.mark.parametrize("esp", ESPS)
def test_unsubscribing_through_the_esp_leaves_that_newsletter(client, one, esp):
    other = SubscriptionFactory(
        subscriber=one.subscriber, newsletter=NewsletterFactory(slug="sport", name="رياضة")
    )
    send(client, esp, "unsubscribed", one)
    statuses = dict(
        Subscription.objects.filter(subscriber=one.subscriber).values_list("newsletter_id", "status")
    )
    assert statuses == {one.digest.newsletter_id: "unsubscribed", other.newsletter_id: "subscribed"}
    logged = ConsentEvent.objects.get()
    assert (logged.event, logged.form) == ("unsubscribe", f"esp:{esp}")


@pytest.mark.parametrize("esp", ESPS)
def test_an_uncertain_copy_is_settled_as_sent_by_a_delivered_event_with_our_metadata(client, esp):
    _digest, (delivery, untouched) = ledger(2, status=Delivery.Status.UNCERTAIN)
    at = timezone.now() - timedelta(minutes=3)
    send(client, esp, "delivered", delivery, at=at)
    settled, other = fresh(delivery), fresh(untouched)
    assert settled.status == Delivery.Status.SENT and settled.delivered_at is not None
    assert abs(settled.sent_at - at) < timedelta(milliseconds=1)
    assert other.status == Delivery.Status.UNCERTAIN  # only the copy the event names


def test_an_event_without_metadata_finds_its_copy_by_message_id_and_address(client):
    # Mailgun gives one message id to a whole batch; the address tells the copies apart.
    _digest, (first, second) = ledger(2)
    assert first.esp_message_id == second.esp_message_id
    post(client, "mailgun", mailgun_event("delivered", delivery=second, metadata={}))
    assert fresh(first).delivered_at is None and fresh(second).delivered_at is not None
    assert EspEvent.objects.get().delivery_id == second.pk


def test_a_bounced_verification_email_still_ends_the_pending_address(client):
    pending = SubscriberFactory(email="typo@exmaple.com", status=Subscriber.Status.PENDING)
    post(
        client,
        "postmark",
        postmark_event(
            "bounce_hard",
            email="Typo@EXMAPLE.com",
            metadata={},
            message_id="b7bc2f4a-e38e-4336-af7d-e6c392c2f817",
        ),
    )
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.BOUNCED
    assert EspEvent.objects.get().delivery_id is None


def test_an_event_about_nobody_we_know_is_recorded_and_answered_200(client):
    response = post(
        client,
        "postmark",
        postmark_event(
            "spam_complaint",
            email="stranger@example.org",
            metadata={"digest": "x'; DROP TABLE", "subscriber": "-1"},
        ),
    )
    assert response.status_code == 200
    assert EspEvent.objects.get().delivery_id is None
    assert not ConsentEvent.objects.exists()


def test_download_my_data_lists_what_the_esp_reported_and_erasure_unlinks_it(client, one):
    from subscriptions.leaving import subscriber_erase, subscriber_export

    send(client, "mailgun", "delivered", one)
    send(client, "postmark", "hard_bounce", one)
    exported = subscriber_export(subscriber=one.subscriber)[str(EspEvent._meta.verbose_name_plural)]
    assert [e["event"] for e in exported] == ["delivered", "bounced"]
    subscriber_erase(subscriber_id=one.subscriber_id)
    assert EspEvent.objects.count() == 2  # the digest's figures still add up
    assert not EspEvent.objects.exclude(recipient_hash="").exists()
    assert not EspEvent.objects.filter(delivery__subscriber__isnull=False).exists()


# --------------------------------------------------------------------------- replays
@pytest.mark.parametrize("esp", ESPS)
def test_a_replayed_webhook_changes_nothing(client, one, esp):
    delivered = send(client, esp, "delivered", one, at=timezone.now() - timedelta(minutes=50))
    complaint = send(client, esp, "complained", one)
    before = fresh(one)
    # An editor, having checked with the reader, lets them back in.
    Subscriber.objects.filter(pk=one.subscriber_id).update(status=Subscriber.Status.CONFIRMED)
    for payload in (delivered, complaint, delivered):
        assert post(client, esp, payload).status_code == 200
    after = fresh(one)
    assert EspEvent.objects.count() == 2 and ConsentEvent.objects.count() == 1
    assert after.subscriber.status == Subscriber.Status.CONFIRMED
    assert (after.delivered_at, after.complained_at) == (before.delivered_at, before.complained_at)


# --------------------------------------------------------------------------- machines
@pytest.mark.parametrize("esp", ESPS)
def test_a_privacy_proxys_open_is_recorded_but_not_counted(client, one, esp):
    send(client, esp, "machine_open", one, at=timezone.now() - timedelta(minutes=59))
    assert fresh(one).opened_at is None
    machine = EspEvent.objects.get()
    assert machine.is_bot and machine.detail.startswith("bot:")
    send(client, esp, "opened", one)  # the reader, later
    assert fresh(one).opened_at is not None
    assert EspEvent.objects.filter(is_bot=False).count() == 1


@pytest.mark.parametrize("esp", ESPS)
def test_a_click_seconds_after_delivery_is_a_scanners(client, one, esp):
    delivered_at = timezone.now() - timedelta(minutes=10)
    send(client, esp, "delivered", one, at=delivered_at)
    send(client, esp, "clicked", one, at=delivered_at + timedelta(seconds=3))
    assert fresh(one).clicked_at is None
    assert EspEvent.objects.get(event_type="clicked").is_bot
    reader_click = delivered_at + timedelta(minutes=4)
    send(client, esp, "clicked", one, at=reader_click)
    assert abs(fresh(one).clicked_at - reader_click) < timedelta(milliseconds=1)


def test_the_scanner_window_is_a_setting(client, one, settings):
    settings.BOT_CLICK_SECONDS = 0
    delivered_at = timezone.now() - timedelta(minutes=10)
    send(client, "mailgun", "delivered", one, at=delivered_at)
    send(client, "mailgun", "clicked", one, at=delivered_at + timedelta(seconds=3))
    assert fresh(one).clicked_at is not None


def test_a_click_the_esp_flags_as_a_bot_is_not_counted(client, one):
    payload = mailgun_event("clicked", delivery=one)
    payload["event-data"]["client-info"]["bot"] = "generic"
    post(client, "mailgun", mailgun_sign(payload))
    assert fresh(one).clicked_at is None
    assert EspEvent.objects.get().detail == "bot: generic"


# --------------------------------------------------------------------------- errors
def test_a_transient_database_error_escapes_so_the_esp_retries(client, one, monkeypatch):
    def database_away(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("subscriptions.receivers.esp_event_apply", database_away)
    answering = Client(raise_request_exception=False)
    response = post(answering, "postmark", postmark_event("delivery", delivery=one))
    assert response.status_code == 500


def test_any_other_error_is_logged_and_answered_200(client, one, monkeypatch, caplog):
    def broken(**kwargs):
        raise ValueError("a payload nobody expected")

    monkeypatch.setattr("subscriptions.receivers.esp_event_apply", broken)
    response = post(client, "postmark", postmark_event("delivery", delivery=one))
    assert response.status_code == 200
    assert "ESP event not applied" in caplog.text


# --------------------------------------------------------------------------- speed
@pytest.mark.parametrize("esp", ESPS)
def test_one_engagement_event_costs_two_statements(client, one, esp):
    payload = EVENT[esp](NAMES["opened"][esp], delivery=one)
    with CaptureQueriesContext(connection) as queries:
        post(client, esp, payload)
    assert len(queries) == 2, [q["sql"] for q in queries]


def work(queries) -> list[str]:
    """The statements that do something (not the test's SAVEPOINT bookkeeping)."""
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_a_bounce_costs_five_statements_in_one_transaction(client, one):
    # record the event, stamp the copy, find its reader and newsletter, end the
    # address, log the consent event
    payload = postmark_event("bounce_hard", delivery=one)
    with CaptureQueriesContext(connection) as queries:
        post(client, "postmark", payload)
    assert len(work(queries)) == 5, work(queries)


def test_a_complaint_costs_five_statements_and_queues_the_guard(
    client, one, django_capture_on_commit_callbacks
):
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as queued:
        send(client, "postmark", "complained", one)
    assert len(work(queries)) == 5, work(queries)
    assert len(queued) == 1  # subscriptions.tasks.complaint_guard, after commit


@pytest.mark.parametrize("esp", ESPS)
def test_a_burst_of_1000_events_takes_two_statements_each(client, esp):
    """Postmark and Mailgun post one event per request: a digest to 1,000 readers
    comes back as 1,000 POSTs of delivered events within minutes."""
    digest, deliveries = ledger(1000)
    at = timezone.now() - timedelta(minutes=30)
    payloads = [EVENT[esp](NAMES["delivered"][esp], delivery=d, at=at) for d in deliveries]
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        statuses = {post(client, esp, p).status_code for p in payloads}
    elapsed = time.monotonic() - started
    assert statuses == {200}
    assert len(queries) == 2000
    assert Delivery.objects.filter(digest=digest, delivered_at__isnull=False).count() == 1000
    assert EspEvent.objects.filter(event_type="delivered").count() == 1000
    print(f"{esp}: 1,000 webhook POSTs in {elapsed:.2f} s, {len(queries)} statements")


def test_metadata_is_what_the_sending_pipeline_puts_on_every_copy(one):
    assert our_metadata(one) == {
        "digest": str(one.digest_id),
        "subscriber": str(one.subscriber_id),
        "batch": "1",
    }
