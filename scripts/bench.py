#!/usr/bin/env python
"""Nashra's benchmarks (`make bench`): each reports throughput and peak memory.

    python scripts/bench.py [seed|signup|digest|dashboard|import ...] [--subscribers N]

Runs against a scratch database: ``<name>_bench`` next to DATABASE_URL's PostgreSQL
database (created and dropped here), or a temporary SQLite file without DATABASE_URL.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def scratch_database(url: str, suffix: str = "_bench"):
    """Return (DATABASE_URL for a scratch database, cleanup callable)."""
    if not url.startswith(("postgres://", "postgresql://")):
        tmp = tempfile.mkdtemp(prefix="nashra-bench-")
        return f"sqlite:////{tmp.lstrip('/')}/bench.sqlite3", lambda: None
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + suffix
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def run(cmd, env) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}")
    return elapsed, out.stdout


def bench_seed(args, env):
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v0"], env)
    elapsed, _ = run([*manage, "seed_demo", "--subscribers", str(args.subscribers)], env)
    # ru_maxrss of the children: the largest of migrate and seed_demo, in KiB on Linux.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"seed_demo --subscribers {args.subscribers:,}: {elapsed:.1f} s wall, "
          f"{args.subscribers / elapsed:,.0f} subscribers/s, peak RSS {peak_mib:.0f} MiB")


def _wait_http(url: str, timeout: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {timeout}s")


def _rss_peak_mib(pid: int) -> float:
    """VmHWM: the most this process ever held in RAM."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_signup(args, env):
    """POST /subscribe/ under gunicorn, 20 concurrent clients (wrk), the verification email
    queued to Redis after commit — the work a real signup does, minus the worker."""
    import shutil
    import signal

    import redis

    if not shutil.which("wrk"):
        sys.exit("the signup benchmark needs wrk (apt-get install wrk)")
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(broker).flushdb()
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v0"], env)
    run([*manage, "seed_demo"], env)
    port = 8765
    web_env = {**env, "CELERY_BROKER_URL": broker, "SIGNUP_RATE_LIMIT": "off", "DEBUG": "0",
               "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1"}
    workers = str(args.web_workers)
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", workers,
         "--log-level", "warning"], cwd=ROOT, env=web_env,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}/ar/subscribe/"
        subprocess.run(["wrk", "-t2", "-c20", "-d3s", "-s", "scripts/wrk_signup.lua", url], cwd=ROOT,
                       capture_output=True, check=True)  # warm-up: connections, caches
        out = subprocess.run(
            ["wrk", "-t2", "-c20", f"-d{args.seconds}s", "--latency", "-s", "scripts/wrk_signup.lua", url],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout
        children = [int(p) for p in Path(f"/proc/{gunicorn.pid}/task/{gunicorn.pid}/children").read_text().split()]
        peak = max(_rss_peak_mib(pid) for pid in children)
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+(\S+)", out).group(1)
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    queued = redis.Redis.from_url(broker).llen("default")
    print(f"signup: {rps:,.0f} requests/s at 20 clients, p50 {p50}, p99 {p99}, "
          f"non-2xx {errors.group(1) if errors else 0}, {queued:,} verification emails queued, "
          f"gunicorn {workers} workers, peak RSS per worker {peak:.0f} MiB")


# Runs inside Django (a child process on the scratch database): render this week's demo
# digest repeatedly, as approval does once per digest, and report one render.
DIGEST_SCRIPT = """
import json, os, resource, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()
from subscriptions.models import Digest
from subscriptions.rendering import digest_render
digest = Digest.objects.select_related("newsletter").filter(status="draft").order_by("-period_end").first()
digest_render(digest=digest)  # warm: templates compiled, translations loaded
runs = 20
started = time.perf_counter()
for _ in range(runs):
    rendered = digest_render(digest=digest)
elapsed = (time.perf_counter() - started) / runs
print(json.dumps({"ms": elapsed * 1000, "html": len(rendered.html.encode()), "text": len(rendered.text.encode()),
                  "items": digest.items.count(), "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def bench_digest(args, env):
    import json

    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v0"], env)
    run([*manage, "seed_demo"], env)  # compiles this week's digest
    _, out = run([sys.executable, "-c", DIGEST_SCRIPT], env)
    result = json.loads(out.strip().splitlines()[-1])
    print(f"digest render: {result['ms']:.0f} ms, HTML {result['html'] / 1024:.1f} KB "
          f"(text {result['text'] / 1024:.1f} KB, {result['items']} items; "
          f"{1000 / result['ms']:,.0f} renders/s, peak RSS {result['rss_kib'] / 1024:.0f} MiB)")


def _send_once(*, env, readers: int, backend_env: dict, workers: int) -> dict:
    """Seed ``readers``, compile and approve a digest, start one Celery worker with
    ``workers`` processes, then `send_digest --wait`; return the figures."""
    import json
    import signal

    import redis

    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(broker).flushdb()
    run_env = {**env, "CELERY_BROKER_URL": broker, "LOG_LEVEL": "WARNING", **backend_env}
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v0"], run_env)
    run([*manage, "seed_demo", "--subscribers", str(readers)], run_env)
    _, out = run([*manage, "compile_digest", "--newsletter", "this-week"], run_env)
    digest_id = out.strip().splitlines()[-1]
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "newsroom", "worker", "--concurrency", str(workers),
         "--loglevel", os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"), "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=run_env, stdout=open("/tmp/nashra-bench-worker.log", "w"), stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(3)  # the worker's pool is up
        elapsed, _ = run([*manage, "send_digest", digest_id, "--wait"], run_env)
        children = [int(p) for p in Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()]
        peaks = [_rss_peak_mib(pid) for pid in children]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    _, report = run([*manage, "digest_report", digest_id, "--json"], run_env)
    return {"seconds": elapsed, "peaks": peaks, "report": json.loads(report)}


def bench_send(args, env):
    """The whole send pipeline: ledger, batches, 2 worker processes, Anymail's real
    Mailgun backend against a stand-in API (batch path); then SMTP to a local sink
    (one personalised copy each, over one connection per batch)."""
    sys.path.insert(0, str(ROOT))
    from tests.mailgun_standin import MailgunStandIn
    from tests.smtp_sink import SmtpSink

    standin = MailgunStandIn(keep=False).start()
    try:
        mailgun = {"EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend", "ANYMAIL_MAILGUN_API_KEY": "key",
                   "ANYMAIL_MAILGUN_API_URL": standin.api_url, "ANYMAIL_MAILGUN_SENDER_DOMAIN": "news.example"}
        result = _send_once(env=env, readers=args.subscribers, backend_env=mailgun, workers=2)
    finally:
        standin.stop()
    r = result["report"]
    print(f"send (Mailgun batch path, 2 worker processes): {r['recipients']:,} recipients in {result['seconds']:.1f} s "
          f"= {r['recipients'] / result['seconds']:,.0f} recipients/s incl. the ledger; sent {r['sent']:,}, "
          f"stand-in received {standin.recipients:,}; worker peak RSS "
          + ", ".join(f"{p:.0f}" for p in result["peaks"]) + " MiB")

    smtp_readers = min(args.subscribers, args.smtp_subscribers)
    smtp_db, drop = scratch_database(os.environ.get("DATABASE_URL", ""), "_bench_smtp")
    sink = SmtpSink(keep=False).start()
    try:
        smtp = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(sink.port)}
        result = _send_once(env={**env, "DATABASE_URL": smtp_db}, readers=smtp_readers, backend_env=smtp, workers=2)
    finally:
        sink.stop()
        drop()
    r = result["report"]
    print(f"send (SMTP, one copy each): {r['recipients']:,} messages in {result['seconds']:.1f} s "
          f"= {r['recipients'] / result['seconds']:,.0f} messages/s; sink received {sink.count:,}; worker peak RSS "
          + ", ".join(f"{p:.0f}" for p in result["peaks"]) + " MiB")


# Runs inside Django on the scratch database: 50 sent digests with a delivery ledger (the
# newest to every reader, older ones to a fiftieth each), one digest sending to every
# reader, a consent history behind the seeded readers (a signup and a confirmation
# each, some leaving), a worker heartbeat; then what autovacuum would do, then the
# roll-up that beat runs, timed.
DASHBOARD_SEED_SCRIPT = """
import json, os, time
from datetime import timedelta
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()
from django.db import connection, transaction
from django.utils import timezone
from newsroom.models import WorkerHeartbeat
from subscriptions.models import Digest, Newsletter
from subscriptions.stats import stats_backfill, stats_rollup

newsletter = Newsletter.objects.get(slug="this-week")
now = timezone.now()
started = time.perf_counter()
with transaction.atomic(), connection.cursor() as cursor:
    digests = Digest.objects.bulk_create(
        Digest(newsletter=newsletter, period_start=now - timedelta(days=7 * i + 7),
               period_end=now - timedelta(days=7 * i, hours=1), status="sent", subject=f"العدد {100 - i}",
               slug=f"bench-{i}", sent_at=now - timedelta(days=7 * i, minutes=30),
               send_started_at=now - timedelta(days=7 * i, hours=1))
        for i in range(1, 51)
    )
    sending = Digest.objects.create(newsletter=newsletter, period_start=now - timedelta(days=7),
                                    period_end=now - timedelta(minutes=5), status="sending", subject="العدد 101",
                                    slug="bench-sending", send_started_at=now)
    for index, digest in enumerate(digests):
        # The newest went to everyone; each older one to a fiftieth of the list.
        where = "" if index == 0 else f"WHERE s.id %% 50 = {index}"
        cursor.execute(
            "INSERT INTO subscriptions_delivery (digest_id, subscriber_id, batch, status, reason, esp_message_id,"
            " sent_at, delivered_at, opened_at, clicked_at, bounced_at, complained_at)"
            " SELECT %s, s.id, s.id / 1000, 'sent', '', '', %s::timestamptz,"
            " CASE WHEN s.id %% 200 <> 0 THEN %s::timestamptz + make_interval(secs => (2 + s.id %% 30)::int) END,"
            " CASE WHEN s.id %% 5 < 2 THEN %s::timestamptz + make_interval(secs =>"
            "   (CASE WHEN s.id %% 7 = 0 THEN 5 ELSE 300 + (s.id * 37) %% 86400 END)::int) END,"
            " CASE WHEN s.id %% 13 = 0 THEN %s::timestamptz + make_interval(secs => (400 + (s.id * 11) %% 86400)::int) END,"
            " CASE WHEN s.id %% 200 = 0 THEN %s::timestamptz + make_interval(secs => 5) END,"
            " CASE WHEN s.id %% 1500 = 1 THEN %s::timestamptz + make_interval(hours => 3) END"
            f" FROM subscriptions_subscriber s {where}",
            [digest.pk] + [digest.sent_at] * 6,
        )
    cursor.execute(
        "INSERT INTO subscriptions_delivery (digest_id, subscriber_id, batch, status, reason, esp_message_id, sent_at)"
        " SELECT %s, s.id, s.id / 1000, CASE WHEN s.id %% 10 < 6 THEN 'sent' WHEN s.id %% 97 = 0 THEN 'failed'"
        " ELSE 'pending' END, '', '', CASE WHEN s.id %% 10 < 6 THEN now() END FROM subscriptions_subscriber s",
        [sending.pk],
    )
    cursor.execute(
        "INSERT INTO subscriptions_sendbatch (digest_id, number, status, size, attempts, queued_at, last_error)"
        " SELECT %s, b, CASE WHEN b %% 10 < 6 THEN 'done' WHEN b %% 53 = 0 THEN 'uncertain' ELSE 'pending' END,"
        " 1000, 1, now(), '' FROM generate_series(0, (SELECT max(id) / 1000 FROM subscriptions_subscriber)) AS b",
        [sending.pk],
    )
    # The consent history behind the seeded readers: a signup, a confirmation ten
    # minutes later, and one in fifty gone again a few days on; one in fifty pending.
    cursor.execute(
        "INSERT INTO subscriptions_consentevent (subscriber_id, newsletter_id, event, at, user_agent, form,"
        " wording_hash, detail) SELECT s.id, %s, e.event, s.created_at + e.after, '', 'bench', '', ''"
        " FROM subscriptions_subscriber s"
        " CROSS JOIN (VALUES ('signup', interval '0'), ('confirm', interval '10 minutes')) AS e(event, after)"
        " WHERE e.event = 'signup' OR s.id %% 50 <> 11",
        [newsletter.pk],
    )
    cursor.execute(
        "INSERT INTO subscriptions_consentevent (subscriber_id, newsletter_id, event, at, user_agent, form,"
        " wording_hash, detail) SELECT s.id, %s, 'unsubscribe', LEAST(s.created_at + make_interval(days => (1 + s.id %% 5)::int),"
        " now()), '', 'bench', '', '' FROM subscriptions_subscriber s WHERE s.id %% 50 = 7",
        [newsletter.pk],
    )
    cursor.execute("UPDATE subscriptions_subscriber SET status = 'unsubscribed', unsubscribed_at = now()"
                   " WHERE id %% 50 = 7", [])
    cursor.execute("UPDATE subscriptions_subscriber SET status = 'pending', confirmed_at = NULL WHERE id %% 50 = 11", [])
    WorkerHeartbeat.objects.update_or_create(hostname="celery@bench", defaults={"seen_at": now})
seeded = time.perf_counter() - started
with connection.cursor() as cursor:  # autocommit: what autovacuum does after bulk loads
    cursor.execute("VACUUM ANALYZE")
started = time.perf_counter()
stats_backfill(days=90)
backfill = time.perf_counter() - started
started = time.perf_counter()
stats_rollup()
tick = time.perf_counter() - started
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM subscriptions_delivery")
    deliveries = cursor.fetchone()[0]
print(json.dumps({"seconds": seeded, "deliveries": deliveries, "backfill": backfill, "tick": tick}))
"""

# Runs inside Django: the admin pages as an editor, through Django's test client (no
# network, so the time is the server's: middleware, queries, templates), in a process
# already warmed by one admin page. Each page once with an empty cache (as if beat were
# down), then, after beat's minute tick has cached the big counts, the median of 7.
DASHBOARD_PAGES_SCRIPT = """
import json, os, statistics, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from subscriptions.dashboard import dashboard_counts_refresh
from subscriptions.models import Newsletter, Subscriber

client = Client()
client.force_login(get_user_model().objects.get(username="editor"))
client.get("/ar/admin/subscriptions/newsletter/")  # URLconf, templates, translations loaded
newsletter = Newsletter.objects.get(slug="this-week")
someone = Subscriber.objects.order_by("pk").values_list("pk", flat=True)[1234]
deep = max(1, min(500, int(sys.argv[1]) // 200))  # a page deep in the list: 500 at 100,000 and over
pages = {
    "dashboard": "/ar/admin/",
    "live counts (JSON)": "/ar/admin/dashboard/live.json",
    "changelist": "/ar/admin/subscriptions/subscriber/",
    f"changelist page {deep}": f"/ar/admin/subscriptions/subscriber/?p={deep}",
    "changelist status=pending": "/ar/admin/subscriptions/subscriber/?status__exact=pending",
    "changelist newsletter": f"/ar/admin/subscriptions/subscriber/?newsletter={newsletter.pk}",
    "changelist source=import": "/ar/admin/subscriptions/subscriber/?source__exact=import",
    "changelist language=en": "/ar/admin/subscriptions/subscriber/?language__exact=en",
    "changelist search address": "/ar/admin/subscriptions/subscriber/?q=reader123457",
    "changelist search name": "/ar/admin/subscriptions/subscriber/?q=%D8%B3%D8%A7%D8%B1%D8%A9",
    "changelist sorted by date": "/ar/admin/subscriptions/subscriber/?o=6",
    "subscriber page": f"/ar/admin/subscriptions/subscriber/{someone}/change/",
}
started = time.perf_counter()
dashboard_counts_refresh()
tick = (time.perf_counter() - started) * 1000
results = {}
for name, url in pages.items():
    cache.clear()
    reset_queries()  # the query log is a window; start each count from an empty one
    with CaptureQueriesContext(connection) as cold_queries:
        started = time.perf_counter()
        response = client.get(url)
        cold = (time.perf_counter() - started) * 1000
    cold_queries = len(cold_queries)  # read now: the capture is a view of the connection's log
    assert response.status_code == 200, (url, response.status_code)
    dashboard_counts_refresh()
    warm = []
    for _ in range(7):
        started = time.perf_counter()
        client.get(url)
        warm.append((time.perf_counter() - started) * 1000)
    reset_queries()
    with CaptureQueriesContext(connection) as warm_queries:
        client.get(url)
    results[name] = {"cold": cold, "warm": statistics.median(warm), "max": max(warm),
                     "queries_cold": cold_queries, "queries_warm": len(warm_queries)}
print(json.dumps({"pages": results, "tick": tick}))
"""

# Runs inside Django: a CSV of new addresses (names, both languages) imported as "already
# consented elsewhere" (a subscriber, a subscription and a consent event per row) and,
# with a broker, as "send verification" (a subscriber and an event per row, the
# verification fan-out queued).
IMPORT_SCRIPT = """
import json, os, resource, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup()
from django.conf import settings
from subscriptions.importing import ImportMode, subscribers_import
from subscriptions.models import Newsletter

rows, tag = int(sys.argv[1]), sys.argv[2]
newsletter = Newsletter.objects.get(slug="this-week")
names = ["سارة الخطيب", "أحمد حداد", "ليلى العلي", "Omar Shami", "نور درويش"]
def csv(prefix):
    lines = ["email,name,language,newsletters"]
    lines += [f"{prefix}{i}@import.example,{names[i % 5]},{'en' if i % 4 == 0 else 'ar'},this-week"
              for i in range(rows)]
    return ("\\n".join(lines) + "\\n").encode()
out = {}
data = csv(f"consented-{tag}-")
started = time.perf_counter()
report = subscribers_import(data=data, mode=ImportMode.CONSENTED, default_newsletter=newsletter, editor="editor",
                            attestation="Benchmark: consent given elsewhere")
out["consented"] = {"seconds": time.perf_counter() - started, "created": report.created, "bytes": len(data)}
if settings.CELERY_BROKER_URL:
    data = csv(f"verify-{tag}-")
    started = time.perf_counter()
    report = subscribers_import(data=data, default_newsletter=newsletter, editor="editor")
    out["verify"] = {"seconds": time.perf_counter() - started, "created": report.created}
    from newsroom.celery import app
    app.control.purge()  # the fan-out tasks were the point, not the emails
out["rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(out))
"""


def _seed_subscribers(args, env) -> None:
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v0"], env)
    elapsed, _ = run([*manage, "seed_demo", "--subscribers", str(args.subscribers)], env)
    print(f"  seed_demo --subscribers {args.subscribers:,}: {elapsed:.0f} s")


def bench_dashboard(args, env):
    """The dashboard and the subscriber list at ``--subscribers`` readers with 50 sent
    digests: server time per page (cold cache, then warm median) and queries."""
    import json

    if not env["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        sys.exit("the dashboard benchmark needs a PostgreSQL DATABASE_URL")
    env = {**env, "ALLOWED_HOSTS": "testserver", "LOG_LEVEL": "WARNING"}
    _seed_subscribers(args, env)
    _, out = run([sys.executable, "-c", DASHBOARD_SEED_SCRIPT], env)
    seeded = json.loads(out.strip().splitlines()[-1])
    print(f"  history: {seeded['deliveries']:,} deliveries (50 sent digests, one sending), 2 consent events a reader "
          f"({seeded['seconds']:.0f} s); roll-up: backfill of 90 days and 51 digests {seeded['backfill']:.1f} s, "
          f"a beat tick {seeded['tick']:.1f} s")
    _, out = run([sys.executable, "-c", DASHBOARD_PAGES_SCRIPT, str(args.subscribers)], env)
    measured = json.loads(out.strip().splitlines()[-1])
    pages = measured["pages"]
    print(f"  beat's minute tick (status counts, live counts of the send in progress): {measured['tick']:.0f} ms")
    width = max(map(len, pages))
    print(f"  {'page (server time)':<{width}}  {'empty cache':>11}  {'median':>7}  {'max':>7}  queries")
    for name, r in pages.items():
        print(f"  {name:<{width}}  {r['cold']:8.0f} ms  {r['warm']:4.0f} ms  {r['max']:4.0f} ms  "
              f"{r['queries_warm']} ({r['queries_cold']} with an empty cache)")
    board, listing = pages["dashboard"], pages["changelist"]
    print(f"dashboard at {args.subscribers:,} subscribers: {board['warm']:.0f} ms ({board['max']:.0f} ms max), "
          f"{board['queries_warm']} queries; {board['cold']:.0f} ms with an empty cache | changelist "
          f"{listing['warm']:.0f} ms ({listing['max']:.0f} ms max), {listing['queries_warm']} queries")


def bench_import(args, env):
    """Import rate for a ``--import-rows`` CSV (default 100,000) into a list of ``--subscribers``."""
    import json
    import uuid

    env = {**env, "LOG_LEVEL": "WARNING"}
    if "dashboard" not in args.which:  # otherwise the list is seeded already
        _seed_subscribers(args, env)
    rows = args.import_rows
    _, out = run([sys.executable, "-c", IMPORT_SCRIPT, str(rows), uuid.uuid4().hex[:6]], env)
    result = json.loads(out.strip().splitlines()[-1])
    consented = result["consented"]
    line = (f"import: {rows:,} rows ({consented['bytes'] / 1e6:.1f} MB), already consented: "
            f"{consented['seconds']:.1f} s = {rows / consented['seconds']:,.0f} rows/s")
    if "verify" in result:
        verify = result["verify"]
        line += f"; verification queued: {verify['seconds']:.1f} s = {rows / verify['seconds']:,.0f} rows/s"
    print(f"{line} (into {args.subscribers:,} subscribers, peak RSS {result['rss_kib'] / 1024:.0f} MiB)")


BENCHMARKS = {"seed": bench_seed, "signup": bench_signup, "digest": bench_digest, "send": bench_send,
              "dashboard": bench_dashboard, "import": bench_import}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15, help="signup: load duration")
    parser.add_argument("--web-workers", type=int, default=4, help="signup: gunicorn workers")
    parser.add_argument("--smtp-subscribers", type=int, default=10_000, help="send: readers for the SMTP pass")
    parser.add_argument("--import-rows", type=int, default=100_000, help="import: rows in the CSV")
    parser.add_argument("--keep-database", action="store_true", help="leave the scratch database for a look")
    args = parser.parse_args()
    unknown = set(args.which) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    args.which = args.which or list(BENCHMARKS)
    db_url, cleanup = scratch_database(os.environ.get("DATABASE_URL", ""))
    env = {**os.environ, "DATABASE_URL": db_url, "LOG_FORMAT": "text"}
    print(f"database: {urlsplit(db_url).scheme}, python {sys.version.split()[0]}, {os.cpu_count()} cores")
    try:
        for name in args.which:
            BENCHMARKS[name](args, env)
    finally:
        if args.keep_database:
            print(f"kept: {db_url}")
        else:
            cleanup()


if __name__ == "__main__":
    main()
