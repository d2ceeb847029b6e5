import socket

from celery import shared_task
from django.utils import timezone

from newsroom import selectors, sources
from newsroom.models import WorkerHeartbeat


@shared_task(bind=True, ignore_result=True)
def worker_heartbeat(self) -> str:
    """Record that this worker is consuming tasks (beat runs it every minute)."""
    # request.hostname is the worker's node name (celery@host); inline runs have none.
    hostname = self.request.hostname or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"seen_at": timezone.now()})
    return hostname


# Article imports. No automatic retries: a failed run is written on its source, and beat
# polls it again within ``poll_minutes``, from the same resume point.


@shared_task(ignore_result=True)
def source_import(source_id: int, full: bool = False, if_due: bool = False) -> None:
    """One run of an article source (see ``newsroom.sources.source_import``)."""
    result = sources.source_import(source_id=source_id, full=full, if_due=if_due)
    if result and result.more:
        # A backlog (a first import of 10,000 posts): continue now, not in 15 minutes.
        source_import.delay(source_id)


@shared_task(ignore_result=True)
def sources_import_due() -> int:
    """Beat, every minute: queue a run of each enabled source that is due."""
    due = selectors.sources_due(now=timezone.now())
    for source in due:
        source_import.delay(source.pk, if_due=True)
    return len(due)


@shared_task(ignore_result=True)
def source_views_refresh(source_id: int) -> None:
    sources.source_views_refresh(source_id=source_id)


@shared_task(ignore_result=True)
def sources_views_refresh() -> None:
    """Beat, hourly: refresh the week's views of every source that has a provider."""
    for source_id in selectors.sources_with_popularity().values_list("pk", flat=True):
        source_views_refresh.delay(source_id)
