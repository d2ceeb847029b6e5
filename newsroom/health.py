"""``/healthz``: 200 when the database and (if configured) the broker answer.

Load balancers and uptime checks call it often, so it does the least that proves
each dependency is there: ``SELECT 1`` and a broker connection.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

BROKER_TIMEOUT = 2  # seconds; a health check must answer before the prober gives up


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is the answer, not a crash
        return f"database: {exc.__class__.__name__}"
    return None


def check_broker() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options={"max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    except Exception as exc:
        return f"broker: {exc.__class__.__name__}"
    return None


@never_cache
def healthz(request):
    problems = [p for p in (check_database(), check_broker()) if p]
    if problems:
        return JsonResponse({"ok": False, "problems": problems}, status=503)
    return JsonResponse({"ok": True, "broker": bool(settings.CELERY_BROKER_URL)})
