import socket

from celery import shared_task
from django.utils import timezone

from newsroom.models import WorkerHeartbeat


@shared_task(bind=True, ignore_result=True)
def worker_heartbeat(self) -> str:
    """Record that this worker is consuming tasks (beat runs it every minute)."""
    # request.hostname is the worker's node name (celery@host); inline runs have none.
    hostname = self.request.hostname or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"seen_at": timezone.now()})
    return hostname
