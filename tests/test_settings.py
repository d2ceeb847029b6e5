"""Settings come from the environment, read once at import, as README "Configuration" says."""

import json
import os
import subprocess
import sys
from pathlib import Path

from newsroom.env import env_prefixed, parse_database_url

ROOT = Path(__file__).resolve().parent.parent


def settings_in_subprocess(env: dict) -> dict:
    """Import the settings in a fresh interpreter with exactly this environment."""
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps({k: str(getattr(settings, k)) for k in ["
        "'SITE_URL','TIME_ZONE','LANGUAGE_CODE','DEBUG','ALLOWED_HOSTS',"
        "'DEFAULT_FROM_EMAIL','CELERY_TASK_ALWAYS_EAGER','CELERY_BROKER_URL','SIGNUP_RATE_LIMIT',"
        "'TRUSTED_PROXIES','SIGNUP_FRAME_ANCESTORS','SECRET_KEY']}"
        " | {'ANYMAIL': settings.ANYMAIL, 'EMAIL_BACKEND': settings.MAILERS['default']['BACKEND'], 'DB': settings.DATABASES['default']['ENGINE'],"
        " 'DBNAME': settings.DATABASES['default']['NAME']}))"
    )
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_defaults_without_environment():
    s = settings_in_subprocess({})
    assert s["TIME_ZONE"] == "Asia/Damascus"
    assert s["LANGUAGE_CODE"] == "ar"
    assert s["DEBUG"] == "False"
    assert s["CELERY_TASK_ALWAYS_EAGER"] == "True"  # no broker: tasks run inline
    assert s["DB"] == "django.db.backends.sqlite3" and s["DBNAME"].endswith("db.sqlite3")
    assert s["EMAIL_BACKEND"] == "newsroom.mail.OutboxBackend"
    assert s["ANYMAIL"] == {}
    assert s["SIGNUP_RATE_LIMIT"] == "20/h"
    assert s["TRUSTED_PROXIES"] == "[]"


def test_every_documented_variable_is_read():
    s = settings_in_subprocess({
        "SECRET_KEY": "k" * 50,
        "DEBUG": "true",
        "ALLOWED_HOSTS": "news.example, nashra.example",
        "SITE_URL": "https://nashra.example/",
        "DATABASE_URL": "postgres://u:p%40ss@db.internal:6543/nashra",
        "CELERY_BROKER_URL": "redis://broker:6379/0",
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
        "DEFAULT_FROM_EMAIL": "Al-Ayyam <news@news.example>",
        "TIME_ZONE": "Europe/London",
        "LANGUAGE_CODE": "en",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "token-123",
        "ANYMAIL_POSTMARK_API_URL": "http://127.0.0.1:9999/",
        "ANYMAIL_WEBHOOK_SECRET": "user:pass",
        "SIGNUP_FRAME_ANCESTORS": "https://news.example https://www.news.example",
        "SIGNUP_RATE_LIMIT": "off",
        "TRUSTED_PROXIES": "10.0.0.1",
    })
    assert s["SECRET_KEY"] == "k" * 50
    assert s["DEBUG"] == "True"
    assert s["ALLOWED_HOSTS"] == "['news.example', 'nashra.example']"
    assert s["SITE_URL"] == "https://nashra.example"  # no trailing slash: links append paths
    assert s["DB"] == "django.db.backends.postgresql" and s["DBNAME"] == "nashra"
    assert s["CELERY_BROKER_URL"] == "redis://broker:6379/0"
    assert s["CELERY_TASK_ALWAYS_EAGER"] == "False"
    assert s["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert s["DEFAULT_FROM_EMAIL"] == "Al-Ayyam <news@news.example>"
    assert s["TIME_ZONE"] == "Europe/London" and s["LANGUAGE_CODE"] == "en"
    assert s["ANYMAIL"] == {
        "POSTMARK_SERVER_TOKEN": "token-123",
        "POSTMARK_API_URL": "http://127.0.0.1:9999/",
        "WEBHOOK_SECRET": "user:pass",
    }
    assert s["SIGNUP_FRAME_ANCESTORS"] == "['https://news.example', 'https://www.news.example']"
    assert s["SIGNUP_RATE_LIMIT"] == "off"
    assert s["TRUSTED_PROXIES"] == "['10.0.0.1']"


def test_database_url_parsing():
    base = Path("/srv/nashra")
    pg = parse_database_url("postgresql://nashra:s%2Fcret@db:5433/news?sslmode=require", base)
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == ("nashra", "s/cret", "db", "5433", "news")
    assert pg["OPTIONS"] == {"sslmode": "require"}
    assert parse_database_url("sqlite:///db.sqlite3", base)["NAME"] == "/srv/nashra/db.sqlite3"
    assert parse_database_url("sqlite:////var/lib/nashra.db", base)["NAME"] == "/var/lib/nashra.db"


def test_unknown_database_scheme_is_a_clear_error():
    import pytest

    with pytest.raises(ValueError, match="unsupported scheme"):
        parse_database_url("mongodb://x/y", Path("."))


def test_anymail_prefix_passthrough(monkeypatch):
    monkeypatch.setenv("ANYMAIL_MAILGUN_API_KEY", "key-1")
    monkeypatch.setenv("ANYMAIL_", "ignored: no name")
    assert env_prefixed("ANYMAIL_")["MAILGUN_API_KEY"] == "key-1"
    assert "" not in env_prefixed("ANYMAIL_")
