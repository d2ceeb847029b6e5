#!/usr/bin/env python
"""Nashra's benchmarks (`make bench`): each reports throughput and peak memory.

    python scripts/bench.py [seed] [--subscribers N]

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


BENCHMARKS = {"seed": bench_seed, "signup": bench_signup, "digest": bench_digest, "send": bench_send}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15, help="signup: load duration")
    parser.add_argument("--web-workers", type=int, default=4, help="signup: gunicorn workers")
    parser.add_argument("--smtp-subscribers", type=int, default=10_000, help="send: readers for the SMTP pass")
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
        cleanup()


if __name__ == "__main__":
    main()
