"""Sending a digest in-process (tasks inline): the ledger, the Mailgun batch path through
Anymail's real backend and a stand-in API, the per-copy path, and what the ESP's
answers do to each reader's row."""

import pytest
from django.core import mail
from django.core.management import call_command

from subscriptions import sending
from subscriptions.leaving import subscription_unsubscribe
from subscriptions.models import Delivery, Digest, SendBatch, Subscriber
from subscriptions.tasks import send_digest
from tests.mailgun_standin import Scripted
from tests.sending_helpers import (
    approved_digest,
    copies_per_address,
    make_ineligible,
    reader_email,
    unsubscribe_owner,
)

pytestmark = pytest.mark.django_db


def totals_add_up(digest):
    digest.refresh_from_db()
    t = digest.totals
    assert t["recipients"] == t["sent"] + t["failed"] + t["skipped"] + t["uncertain"]
    return t


def test_2000_readers_through_mailgun_batches_each_get_exactly_their_own_copy(mailgun, settings):
    settings.SITE_URL = "https://nashra.example"
    digest = approved_digest(readers=2000)
    ineligible = make_ineligible(digest.newsletter)

    send_digest.delay(digest.pk)

    # Two API calls of 1,000 recipients each (Mailgun's batch size), not 2,000 calls.
    assert len(mailgun.requests) == 2
    copies = copies_per_address(mailgun.delivered)
    assert set(copies) == {reader_email(i) for i in range(1, 2001)}
    assert set(copies.values()) == {1}
    assert not ineligible & set(copies)
    ids = dict(Subscriber.objects.values_list("email", "id"))
    message_ids = set()
    for message in mailgun.delivered:
        name = Subscriber.objects.get(pk=ids[message.to]).name
        assert f"مرحباً {name}،" in message.html and name in message.text
        assert unsubscribe_owner(message.headers["List-Unsubscribe"]) == (ids[message.to], digest.newsletter_id)
        assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.headers["List-Id"] == "<this-week.nashra.example>"
        assert message.metadata == {"digest": str(digest.pk), "subscriber": str(ids[message.to]),
                                    "batch": message.metadata["batch"]}
        assert "%recipient." not in message.html + message.text and "[[nashra:" not in message.html
        message_ids.add(message.headers["Message-Id"])
    assert len(message_ids) == 2000  # every copy its own Message-ID
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    assert totals_add_up(digest) == {"recipients": 2000, "sent": 2000, "failed": 0, "skipped": 0, "uncertain": 0}
    assert Delivery.objects.filter(digest=digest).count() == 2000


def test_the_same_over_the_per_copy_path(settings):
    """No on-the-fly merge (SMTP, Postmark, the outbox…): a ready-made copy each."""
    digest = approved_digest(readers=120)
    make_ineligible(digest.newsletter)
    send_digest.delay(digest.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(reader_email(i) for i in range(1, 121))
    first = mail.outbox[0]
    owner = Subscriber.objects.get(email=first.to[0])
    assert owner.name in first.body and owner.name in first.alternatives[0].content
    assert unsubscribe_owner(first.extra_headers["List-Unsubscribe"])[0] == owner.pk
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 120
    assert totals_add_up(digest)["sent"] == 120


def test_a_reader_who_leaves_after_the_ledger_is_skipped_not_sent(mailgun):
    digest = approved_digest(readers=50)
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: queued.append(n))
    assert Delivery.objects.filter(digest=digest).count() == 50  # the ledger exists first
    leaver = Subscriber.objects.get(email=reader_email(7))
    subscription_unsubscribe(subscriber_id=leaver.pk, newsletter_id=digest.newsletter_id)
    Subscriber.objects.filter(email=reader_email(8)).update(status="bounced")
    for number in queued:
        sending.batch_send(digest_id=digest.pk, number=number)
    delivered = copies_per_address(mailgun.delivered)
    assert reader_email(7) not in delivered and reader_email(8) not in delivered and len(delivered) == 48
    skipped = Delivery.objects.get(digest=digest, subscriber=leaver)
    assert (skipped.status, skipped.reason) == ("skipped", "no longer subscribed")
    assert totals_add_up(digest)["skipped"] == 2


def test_a_429_or_5xx_leaves_the_batch_pending_for_a_retry_and_sends_nobody_twice(mailgun):
    digest = approved_digest(readers=30)
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: queued.append(n))
    mailgun.plan = [Scripted(status=429, headers={"Retry-After": "7"}), Scripted(status=503)]
    with pytest.raises(sending.Retry) as first:
        sending.batch_send(digest_id=digest.pk, number=0)
    assert first.value.retry_after == 7.0  # Retry-After honoured
    assert set(Delivery.objects.filter(digest=digest).values_list("status", flat=True)) == {"pending"}
    with pytest.raises(sending.Retry):
        sending.batch_send(digest_id=digest.pk, number=0)
    assert sending.batch_send(digest_id=digest.pk, number=0) == "sent"
    assert set(copies_per_address(mailgun.delivered).values()) == {1} and len(mailgun.delivered) == 30
    assert SendBatch.objects.get(digest=digest).attempts == 3


def test_a_read_timeout_is_uncertain_never_resent_on_its_own(mailgun, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "REQUESTS_TIMEOUT": 0.5}
    digest = approved_digest(readers=20)
    mailgun.plan = [Scripted(delay=1.5, deliver=False)]  # accepts the request, never answers in time
    send_digest.delay(digest.pk)
    assert set(Delivery.objects.filter(digest=digest).values_list("status", flat=True)) == {"uncertain"}
    assert SendBatch.objects.get(digest=digest).status == "uncertain"
    assert sending.batch_send(digest_id=digest.pk, number=0) == "already"  # a redelivery sends nothing
    assert len(mailgun.requests) == 1
    digest.refresh_from_db()
    assert digest.status == "sent" and digest.totals["uncertain"] == 20

    # The editor's "resend uncertain" completes it.
    assert sending.digest_resend(digest_id=digest.pk, which="uncertain") == 20
    assert len(mailgun.delivered) == 20
    assert totals_add_up(digest) == {"recipients": 20, "sent": 20, "failed": 0, "skipped": 0, "uncertain": 0}


def test_a_4xx_fails_the_batch_with_the_reason_and_a_run_of_errors_pauses(mailgun, settings):
    settings.SEND_AUTO_PAUSE_AFTER = 2
    settings.SEND_BATCH_SIZE = 10
    digest = approved_digest(readers=40)
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: queued.append(n))
    mailgun.plan = [Scripted(status=400, body={"message": "'from' parameter is not a valid address"})] * 2
    assert sending.batch_send(digest_id=digest.pk, number=0) == "failed"
    failed = Delivery.objects.filter(digest=digest, status="failed").first()
    assert "400" in failed.reason and "not a valid address" in failed.reason
    assert sending.batch_send(digest_id=digest.pk, number=1) == "failed"
    digest.refresh_from_db()
    assert digest.status == "paused" and "2 ESP errors in a row" in digest.pause_reason
    assert sending.batch_send(digest_id=digest.pk, number=2) == "paused"  # nothing goes out while paused
    assert len(mailgun.delivered) == 0

    # Resume: the rest go; "resend to failed" retries the 20 the ESP refused.
    sending.digest_resume(digest_id=digest.pk, dispatch=lambda d, n, c: sending.batch_send(digest_id=d, number=n))
    assert len(mailgun.delivered) == 20
    sending.digest_resend(digest_id=digest.pk, which="failed")
    assert set(copies_per_address(mailgun.delivered).values()) == {1} and len(mailgun.delivered) == 40
    assert totals_add_up(digest)["sent"] == 40


def test_cancel_skips_everyone_not_yet_sent(mailgun, settings):
    settings.SEND_BATCH_SIZE = 10
    digest = approved_digest(readers=30)
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: queued.append(n))
    sending.batch_send(digest_id=digest.pk, number=0)
    assert sending.digest_cancel_sending(digest_id=digest.pk)
    assert sending.batch_send(digest_id=digest.pk, number=1) == "already"
    assert len(mailgun.delivered) == 10
    progress = sending.digest_progress(digest_id=digest.pk)
    assert (progress["sent"], progress["skipped"], progress["pending"]) == (10, 20, 0)


def test_sending_twice_does_not_duplicate_the_ledger_or_the_mail(mailgun):
    digest = approved_digest(readers=25)
    send_digest.delay(digest.pk)
    send_digest.delay(digest.pk)  # a second click, a redelivered task
    assert Delivery.objects.filter(digest=digest).count() == 25
    assert len(mailgun.delivered) == 25


def test_a_draft_or_cancelled_digest_cannot_be_sent():
    digest = approved_digest(readers=1)
    Digest.objects.filter(pk=digest.pk).update(status="cancelled")
    with pytest.raises(sending.SendError, match="cancelled cannot be sent"):
        sending.digest_send(digest_id=digest.pk)


def test_queries_per_batch_do_not_grow_with_the_batch(mailgun, settings):
    """The same handful of queries for 10 readers as for 1,000 (no N+1), pinned."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SEND_BATCH_SIZE = 1000
    digest = approved_digest(readers=1010)
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, c: queued.append(n))
    counts = {}
    for number in queued:  # batch 0: 1,000 readers; batch 1: 10 (and it finishes the digest)
        with CaptureQueriesContext(connection) as queries:
            sending.batch_send(digest_id=digest.pk, number=number)
        counts[number] = len(queries)
    assert counts[0] <= 14  # incl. 4 SAVEPOINT/RELEASE statements and the "all done?" check
    assert counts[1] <= counts[0] + 4  # + the digest's finish: check, totals, status
    assert len(mailgun.delivered) == 1010


def test_the_ledger_is_built_in_keyset_chunks_and_resumes(settings):
    """A ledger build interrupted after a chunk continues from the last reader, with
    batch numbers that stay contiguous."""
    settings.SEND_BATCH_SIZE = 3
    digest = approved_digest(readers=40)
    sending.LEDGER_CHUNK_BATCHES, saved = 2, sending.LEDGER_CHUNK_BATCHES  # 6 readers a chunk
    try:
        Digest.objects.filter(pk=digest.pk).update(status="sending", audience_max_id=10**9)
        digest.refresh_from_db()
        sending.ledger_build(digest=digest)
        numbers = list(Delivery.objects.filter(digest=digest).order_by("subscriber_id").values_list("batch", flat=True))
        assert numbers == [i // 3 for i in range(40)]
        # Wipe the tail as if the build had stopped after 3 chunks, then resume.
        Delivery.objects.filter(digest=digest, batch__gte=6).delete()
        SendBatch.objects.filter(digest=digest).delete()
        sending.ledger_build(digest=digest)
        again = list(Delivery.objects.filter(digest=digest).order_by("subscriber_id").values_list("batch", flat=True))
        assert again == numbers
        assert SendBatch.objects.filter(digest=digest).count() == 14
    finally:
        sending.LEDGER_CHUNK_BATCHES = saved


def test_digest_report_json(mailgun, capsys):
    import json

    digest = approved_digest(readers=12)
    send_digest.delay(digest.pk)
    call_command("digest_report", str(digest.pk), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report == {"digest": digest.pk, "status": "sent", "recipients": 12, "sent": 12, "failed": 0,
                      "skipped": 0, "uncertain": 0, "pending": 0}


def test_send_digest_command_waits_and_reports(mailgun, capsys):
    digest = approved_digest(readers=5)
    call_command("send_digest", str(digest.pk), "--wait")
    out = capsys.readouterr().out
    assert f"digest {digest.pk} sent: recipients 5, sent 5, failed 0, skipped 0, uncertain 0, pending 0" in out


def test_over_smtp_each_reader_gets_one_personal_copy_over_one_connection(settings):
    from tests.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    try:
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                        "OPTIONS": {"host": "127.0.0.1", "port": sink.port, "timeout": 10}}}
        digest = approved_digest(readers=150)
        make_ineligible(digest.newsletter)
        send_digest.delay(digest.pk)
        received = sink.parsed()
    finally:
        sink.stop()
    assert sorted(to[0] for to, _ in received) == sorted(reader_email(i) for i in range(1, 151))
    ids = dict(Subscriber.objects.values_list("email", "id"))
    message_ids = set()
    for (to,), message in received:
        assert message["To"] == to
        assert unsubscribe_owner(message["List-Unsubscribe"])[0] == ids[to]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and message["List-Id"]
        html = message.get_body(("html",)).get_content()
        assert 'dir="rtl"' in html and Subscriber.objects.get(pk=ids[to]).name in html
        assert message.get_body(("plain",)).get_content().strip()
        message_ids.add(message["Message-ID"])
    assert len(message_ids) == 150
    assert totals_add_up(digest)["sent"] == 150


def test_a_real_copy_meets_the_gmail_and_yahoo_one_click_rules(mailgun, settings):
    import listunsub

    settings.SITE_URL = "https://nashra.example"  # one-click needs an https URI
    digest = approved_digest(readers=1)
    send_digest.delay(digest.pk)
    (copy,) = mailgun.delivered
    assert listunsub.audit(copy.headers["List-Unsubscribe"], copy.headers["List-Unsubscribe-Post"]) == []


def test_a_delivery_window_spreads_the_batches_over_its_minutes(settings):
    settings.SEND_BATCH_SIZE = 5
    digest = approved_digest(readers=20)
    digest.newsletter.send_window_minutes = 10
    digest.newsletter.save()
    queued = []
    sending.digest_send(digest_id=digest.pk, dispatch=lambda d, n, countdown: queued.append((n, countdown)))
    assert queued == [(0, 0), (1, 150), (2, 300), (3, 450)]  # 4 batches across 600 s


def test_the_send_rate_is_shared_through_redis(settings, redis_cache):
    """SEND_RATE_PER_SECOND holds across processes: each caller reserves its slot in
    Redis and waits for it, so the second batch of 50 at 100/s starts half a second on."""
    from newsroom.ratelimit import send_tokens_acquire

    settings.SEND_RATE_PER_SECOND = 100
    assert send_tokens_acquire(50, key="nashra:test-rate") == 0
    waited = send_tokens_acquire(50, key="nashra:test-rate")
    assert 0.4 <= waited <= 0.55
    settings.SEND_RATE_PER_SECOND = 0
    assert send_tokens_acquire(1000, key="nashra:test-rate") == 0  # no cap, no wait
