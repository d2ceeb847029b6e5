"""Small helpers that read the environment once, at settings import.

Plain ``os.environ`` on purpose: every variable Nashra honours is listed in README.md,
and each one is read here or in settings.py, nowhere else.
"""

import os
from urllib.parse import parse_qsl, unquote, urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    """Comma- or space-separated list: ``ALLOWED_HOSTS=a.example,b.example``."""
    raw = os.environ.get(name, default)
    return [item for item in raw.replace(",", " ").split() if item]


def env_prefixed(prefix: str) -> dict[str, str]:
    """``ANYMAIL_POSTMARK_SERVER_TOKEN=x`` → ``{"POSTMARK_SERVER_TOKEN": "x"}``."""
    return {
        key[len(prefix) :]: value
        for key, value in os.environ.items()
        if key.startswith(prefix) and len(key) > len(prefix)
    }


DB_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
}


def parse_database_url(url: str, base_dir) -> dict:
    """``postgres://user:pw@host:5432/name?sslmode=require`` or ``sqlite:///db.sqlite3``.

    A relative SQLite path (three slashes) is relative to the project directory;
    four slashes make it absolute.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme not in DB_ENGINES:
        raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")
    if scheme == "sqlite":
        path = unquote(parts.path)
        if path in ("", "/", "/:memory:"):
            name = ":memory:"
        elif path.startswith("//"):
            name = path[1:]
        else:
            name = str(base_dir / path.lstrip("/"))
        return {"ENGINE": DB_ENGINES[scheme], "NAME": name}
    config = {
        "ENGINE": DB_ENGINES[scheme],
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Reuse connections across requests; health checks drop dead ones.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
    options = dict(parse_qsl(parts.query))
    if options:
        config["OPTIONS"] = options
    return config
