"""Sending with real Celery workers through the real broker (Redis), Anymail's real
Mailgun backend and a stand-in of Mailgun's API — and the failures that matter: an ESP
answering 500/429, a worker killed mid-call, a broker that lost its queue."""

import os
import signal
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from newsroom.celery import app
from subscriptions import sending
from subscriptions.models import Delivery, Digest, SendBatch
from subscriptions.tasks import send_digest
from tests.conftest import start_worker, stop_worker, wait_for
from tests.mailgun_standin import Scripted
from tests.sending_helpers import approved_digest, copies_per_address, reader_email

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workers(broker_url, mailgun, settings):
    """Start workers on demand (each its own process); all stopped at the end."""
    app.conf.task_always_eager = False
    app.control.purge()
    started = []

    def start(name="w1", **env):
        proc = start_worker(broker_url, {**mailgun.env, "SEND_BATCH_SIZE": "50", **env}, name=name,
                            log_name=f"sending-{name}.log")
        started.append(proc)
        return proc

    settings.SEND_BATCH_SIZE = 50
    yield start
    for proc in started:
        stop_worker(proc)
    app.conf.task_always_eager = True


def digest_status(digest) -> str:
    return Digest.objects.values_list("status", flat=True).get(pk=digest.pk)


def test_an_esp_failing_a_fifth_of_calls_still_delivers_everyone_once(workers, mailgun):
    digest = approved_digest(readers=1000)
    mailgun.chaos = 0.2  # 500 or 429 (Retry-After: 1) on a fifth of the calls
    worker = workers()
    send_digest.delay(digest.pk)
    wait_for(lambda: digest_status(digest) == "sent", timeout=120, what="the digest to be sent")
    copies = copies_per_address(mailgun.delivered)
    assert set(copies) == {reader_email(i) for i in range(1, 1001)} and set(copies.values()) == {1}
    refused = [r for r in mailgun.requests if r["status"] != 200]
    assert refused, "the chaos should have refused some calls"
    assert len(mailgun.requests) == 20 + len(refused)  # each refused batch was tried again, nothing more
    log = worker.log_path.read_text()
    assert log.count("batch retry") >= len(refused) and "Retry in" in log
    digest.refresh_from_db()
    assert digest.totals == {"recipients": 1000, "sent": 1000, "failed": 0, "skipped": 0, "uncertain": 0}


def test_a_worker_killed_mid_send_sends_nobody_twice_and_resend_uncertain_completes(workers, mailgun, settings):
    digest = approved_digest(readers=500)
    # The third ESP call hangs; the worker is killed while it waits for the answer.
    mailgun.plan = [Scripted(), Scripted(), Scripted(delay=60, deliver=False)]
    first = workers("w1")
    send_digest.delay(digest.pk)
    wait_for(lambda: len(mailgun.requests) == 3, timeout=60, what="the third batch to be in flight")
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    in_flight = SendBatch.objects.get(digest=digest, status="submitting")

    workers("w2")
    wait_for(lambda: len(mailgun.delivered) == 450, timeout=60, what="the other batches to go out")
    # The in-flight batch's task died with its worker; the sweeper finds it abandoned.
    settings.SEND_SUBMITTING_TIMEOUT = 0
    report = sending.sending_sweep(now=timezone.now())
    assert report["uncertain"] == 1

    copies = copies_per_address(mailgun.delivered)
    assert set(copies.values()) == {1}
    uncertain = set(Delivery.objects.filter(digest=digest, status="uncertain").values_list("batch", flat=True))
    assert uncertain == {in_flight.number}
    assert Delivery.objects.filter(digest=digest, status="sent").count() == 450
    assert digest_status(digest) == "sent"

    sending.digest_resend(digest_id=digest.pk, which="uncertain")
    wait_for(lambda: len(mailgun.delivered) == 500, timeout=60, what="the uncertain readers to be sent")
    assert set(copies_per_address(mailgun.delivered).values()) == {1}
    wait_for(lambda: digest_status(digest) == "sent", timeout=30, what="the resend to finish")
    digest.refresh_from_db()
    assert digest.totals == {"recipients": 500, "sent": 500, "failed": 0, "skipped": 0, "uncertain": 0}


def test_a_broker_that_lost_its_queue_is_caught_up_by_the_sweeper(workers, mailgun, broker_url, settings):
    digest = approved_digest(readers=500)
    mailgun.plan = [Scripted(delay=0.5)] * 3  # slow enough to flush while most batches wait
    workers()
    send_digest.delay(digest.pk)
    wait_for(lambda: len(mailgun.requests) >= 2, timeout=60, what="sending to start")
    redis.Redis.from_url(broker_url).flushdb()  # the queued batch tasks are gone
    wait_for(lambda: not SendBatch.objects.filter(digest=digest, status="submitting").exists(), timeout=30,
             what="the batch in flight to finish")
    lost = SendBatch.objects.filter(digest=digest, status="pending").count()
    assert lost > 0 and digest_status(digest) == "sending"

    settings.SEND_REQUEUE_AFTER = 0
    report = sending.sending_sweep(now=timezone.now() + timedelta(seconds=1))
    assert report["requeued"] == lost
    wait_for(lambda: digest_status(digest) == "sent", timeout=60, what="the sweeper's batches to go out")
    copies = copies_per_address(mailgun.delivered)
    assert len(copies) == 500 and set(copies.values()) == {1}
