"""A real Celery worker process, fed through the real broker (Redis in CI)."""

import pytest

from newsroom.celery import app
from newsroom.models import WorkerHeartbeat
from newsroom.tasks import worker_heartbeat
from tests.conftest import wait_for

pytestmark = pytest.mark.worker


def test_a_worker_consumes_a_task_through_the_broker(celery_worker):
    worker_heartbeat.delay()
    wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=30, what="the worker to run the heartbeat task")
    beat = WorkerHeartbeat.objects.get()
    # The row was written by the worker process (its node name), not inline by this test.
    assert beat.hostname.startswith("test@")


def test_a_plain_worker_consumes_every_queue():
    # `celery -A newsroom worker` with no -Q must drain the mail queue too (SPEC "Processes").
    assert {q.name for q in app.conf.task_queues} == {"default", "mail"}
    assert app.conf.task_default_queue == "default"


def test_reliability_settings_for_a_broker():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit
    assert conf.task_ignore_result


def test_without_a_broker_tasks_run_inline(db):
    # The test session runs tasks inline, as a deployment without CELERY_BROKER_URL does.
    worker_heartbeat.delay()
    assert WorkerHeartbeat.objects.count() == 1
