"""Shared fixtures. Tests use the real services named by the environment
(DATABASE_URL, CELERY_BROKER_URL); when one is missing they skip with the reason, or
fail instead under REQUIRE_SERVICES=1 (CI)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise
# refuse ORM calls from that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need(available: bool, reason: str) -> None:
    """Skip (or, under REQUIRE_SERVICES=1, fail) when a service or tool is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True, scope="session")
def _tasks_inline_by_default():
    """Unit tests run tasks inline; tests about workers switch to the real broker."""
    from newsroom.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached counts live in the cache; no test inherits another's."""
    from django.core.cache import cache

    from subscriptions.selectors import newsletter_default_forget

    cache.clear()
    newsletter_default_forget()  # a rolled-back test's newsletter must not linger
    yield


@pytest.fixture
def postgres(db):
    from django.db import connection

    need(connection.vendor == "postgresql", "PostgreSQL is not configured (set DATABASE_URL=postgres://…)")
    return connection


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def broker_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    need(bool(url), "no broker configured (set CELERY_BROKER_URL=redis://…)")
    need(not url.startswith("redis") or _redis_answers(url), f"the broker at {url} does not answer")
    return url


def database_url_for_other_processes() -> str:
    """A DATABASE_URL that points a subprocess (worker, gunicorn) at the test database."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}" if s["NAME"].startswith("/") else f"sqlite:///{ROOT / s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker_env():
    """Extra environment for the test worker; a test module overrides this fixture."""
    return {}


def start_worker(broker_url: str, env: dict, *, name: str = "test", log_name: str = "celery-worker.log"):
    """Start ``celery -A newsroom worker`` (one process, solo pool) on the test database;
    returns the process once the worker says it is ready."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_other_processes(),
        "CELERY_BROKER_URL": broker_url,
        "LOG_FORMAT": "text",
        **env,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / log_name
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "newsroom", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--loglevel=INFO", "-n", f"{name}@%h"],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    proc.log_path = log
    _wait_for(lambda: b"ready" in log.read_bytes() or proc.poll() is not None, timeout=30,
              what="the Celery worker to start")
    assert proc.poll() is None, log.read_text()[-2000:]
    return proc


def stop_worker(proc) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def celery_worker(transactional_db, broker_url, worker_env):
    """A real ``celery -A newsroom worker`` process on the test database and broker."""
    from newsroom.celery import app

    app.conf.task_always_eager = False
    app.control.purge()  # leftovers of an earlier run must not reach this worker
    proc = start_worker(broker_url, worker_env)
    try:
        yield proc
    finally:
        stop_worker(proc)
        app.conf.task_always_eager = True


def _wait_for(condition, *, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


wait_for = _wait_for


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's), driven by Playwright. Never a downloaded one."""
    need(Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ar")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


STAFF_USERNAME, STAFF_PASSWORD = "amal", "s3cret-pass-word"


@pytest.fixture
def staff_user(db, django_user_model):
    return django_user_model.objects.create_user(
        username=STAFF_USERNAME, email="amal@news.example", password=STAFF_PASSWORD, is_staff=True, is_superuser=True
    )


def admin_sign_in(page, url: str, *, lands_on: str | None = None) -> None:
    """Open an admin ``url`` in the browser, sign in as ``staff_user`` on the login page
    it leads to, and wait until the admin shows ``lands_on`` (default: ``url``)."""
    page.goto(url)
    page.fill("#id_username", STAFF_USERNAME)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    if lands_on:
        page.wait_for_url(lands_on)


def which(program: str) -> str | None:
    return shutil.which(program)


@pytest.fixture
def mailgun(settings):
    """Anymail's real Mailgun backend, pointed at a local stand-in of Mailgun's API.

    ``mailgun.env`` is the same configuration as environment variables, for a worker."""
    from tests.mailgun_standin import MailgunStandIn

    standin = MailgunStandIn().start()
    anymail = {
        "MAILGUN_API_KEY": "key-standin",
        "MAILGUN_API_URL": standin.api_url,
        "MAILGUN_SENDER_DOMAIN": "news.example",
    }
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.mailgun.EmailBackend"}}
    settings.ANYMAIL = anymail
    standin.env = {"EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend"} | {
        f"ANYMAIL_{k}": v for k, v in anymail.items()
    }
    yield standin
    standin.stop()


@pytest.fixture
def redis_cache(settings):
    """The shared cache must be Redis (CACHE_URL), as in production, for rate limits."""
    from django.core.cache import cache

    backend = settings.CACHES["default"]["BACKEND"]
    need(backend.endswith("RedisCache"), "the cache is not Redis (set CACHE_URL=redis://…)")
    try:
        cache.set("nashra:ping", 1, 5)
    except Exception as exc:  # the redis client's errors vary by version
        need(False, f"the Redis cache does not answer: {exc}")
    return cache


@pytest.fixture
def site():
    """A stand-in of the news site (WordPress REST, feeds, popularity plugins) on a local port."""
    from tests.wp_standin import Site

    with Site() as running:
        yield running
