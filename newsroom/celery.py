"""The Celery app, configured from Django settings (the ``CELERY_`` namespace), and the
beat schedule. Run exactly one ``celery -A newsroom beat``; add workers freely."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

app = Celery("newsroom")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Two queues: ``mail`` carries the per-batch sending work so it can get its own
# workers at scale; ``default`` the rest. A worker started with no -Q consumes every
# queue listed here.
app.conf.task_default_queue = "default"
app.conf.task_queues = (Queue("default"), Queue("mail"))

app.conf.beat_schedule = {
    # Lets the dashboard and /healthz-style checks see that a worker is alive.
    "worker-heartbeat": {"task": "newsroom.tasks.worker_heartbeat", "schedule": 60.0},
    # Unconfirmed signups older than PENDING_PURGE_DAYS go, with their consent log.
    "purge-pending-subscribers": {
        "task": "subscriptions.tasks.purge_pending_subscribers",
        "schedule": crontab(hour=3, minute=30),
    },
    # Compiles each newsletter's digest once its weekly slot has passed (idempotent, so
    # a tick every 5 minutes is safe). No week-ahead ETA tasks: Redis would redeliver
    # them after the visibility timeout.
    "digests-compile-due": {"task": "subscriptions.tasks.digests_compile_due", "schedule": 300.0},
    # Re-queues batches whose task a broker lost; marks abandoned ones uncertain.
    "sweep-sending": {"task": "subscriptions.tasks.sweep_sending", "schedule": 60.0},
    # Article sources. Each source says how often it wants polling (poll_minutes, 15 by
    # default); this only looks, every minute, for the ones that are due.
    "import-articles": {"task": "newsroom.tasks.sources_import_due", "schedule": 60.0},
    # The week's page views from each source's popularity provider.
    "article-views": {"task": "newsroom.tasks.sources_views_refresh", "schedule": 3600.0},
    # The dashboard's daily and per-digest numbers (DailyStat, DigestStat): recounted
    # so no page load counts events or a million subscribers. Idempotent.
    "stats-rollup": {"task": "subscriptions.tasks.stats_rollup", "schedule": 300.0},
    # Subscribers by status and the live counts of a send in progress, into the cache:
    # the two counts too big for a page load at a million rows.
    "dashboard-counts": {"task": "subscriptions.tasks.dashboard_counts_refresh", "schedule": 60.0},
}

app.autodiscover_tasks()
