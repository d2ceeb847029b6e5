"""Nashra's settings: everything that varies between deployments comes from the
environment (README.md "Configuration" lists every variable), read once, here."""

from pathlib import Path

from django.utils.csp import CSP

from newsroom.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_prefixed,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------- core
DEBUG = env_bool("DEBUG", False)
# Tokens in emails are signed with it: production must set its own and keep it.
SECRET_KEY = env_str("SECRET_KEY") or "nashra-insecure-development-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost 127.0.0.1 [::1]")
# Absolute base for every link that leaves the site (emails, List-Unsubscribe).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # django.contrib.admin, with the editors' dashboard as its index page.
    "subscriptions.admin_apps.NashraAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "anymail",
    "newsroom",
    "subscriptions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --------------------------------------------------------------------------- database
# https://docs.djangoproject.com/en/6.1/ref/settings/#databases
DATABASE_URL = env_str("DATABASE_URL", "sqlite:///db.sqlite3")
DATABASES = {"default": parse_database_url(DATABASE_URL, BASE_DIR)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a Celery worker started by a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------- cache
# Shared state between processes (rate limits, cached counts) lives here. Use a
# Redis database separate from the broker's: a broker must never evict, a cache must.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --------------------------------------------------------------------------- auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --------------------------------------------------------------------------- i18n
# Arabic first and right to left; English as the second language.
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "ar")
LANGUAGES = [("ar", "العربية"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Damascus")
USE_I18N = True
USE_TZ = True

# --------------------------------------------------------------------------- static
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed, cache-forever names once `collectstatic` has run (deploys do,
    # see Procfile); plain names in a checkout, so demo and tests need no build step.
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if (STATIC_ROOT / "staticfiles.json").exists()
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True  # serve without collectstatic in demo and tests

# --------------------------------------------------------------------------- security
# Pages are not framable; the signup widget opts in with its own frame-ancestors.
X_FRAME_OPTIONS = "DENY"
SIGNUP_FRAME_ANCESTORS = env_list("SIGNUP_FRAME_ANCESTORS")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "https:", "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = [SITE_URL] if SITE_URL.startswith("http") else []
# Per client IP, e.g. "20/h"; "off" disables the limit (load tests).
SIGNUP_RATE_LIMIT = env_str("SIGNUP_RATE_LIMIT", "20/h")
# Addresses of reverse proxies whose X-Forwarded-For is believed. None by default.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# Unconfirmed signups are purged after this many days; confirm links die after this.
PENDING_PURGE_DAYS = env_int("PENDING_PURGE_DAYS", 30)
CONFIRM_TOKEN_MAX_AGE = env_int("CONFIRM_TOKEN_MAX_AGE", 7 * 24 * 3600)

# --------------------------------------------------------------------------- email
# https://docs.djangoproject.com/en/6.1/topics/email/#mailers
# EMAIL_BACKEND picks the default mailer. Without it, messages land as .eml files in
# EMAIL_OUTBOX_DIR. In production: anymail.backends.<esp>.EmailBackend + ANYMAIL_* vars.
OUTBOX_BACKEND = "newsroom.mail.OutboxBackend"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_email_backend = env_str("EMAIL_BACKEND", OUTBOX_BACKEND)
if _email_backend == OUTBOX_BACKEND:
    _mailer_options = {"outbox_dir": env_str("EMAIL_OUTBOX_DIR", str(BASE_DIR / "outbox"))}
elif _email_backend == SMTP_BACKEND:
    _mailer_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 30),
    }
else:
    _mailer_options = {}
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _mailer_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Nashra <newsletter@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# https://anymail.dev/en/stable/installation/#anymail-settings-reference
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"].
ANYMAIL = env_prefixed("ANYMAIL_")

# --------------------------------------------------------------------------- sending
# Recipients per batch task (one ESP call); 0 = the ESP's own size (subscriptions/esp.py).
SEND_BATCH_SIZE = env_int("SEND_BATCH_SIZE", 0)
# Global send rate across every worker, recipients per second (a token bucket in the
# Redis cache); 0 = as fast as the ESP answers.
SEND_RATE_PER_SECOND = env_int("SEND_RATE_PER_SECOND", 0)
# After this many consecutive failed ESP calls a digest pauses itself.
SEND_AUTO_PAUSE_AFTER = env_int("SEND_AUTO_PAUSE_AFTER", 5)
# Retries of one batch on 429/5xx/connection refused, with exponential backoff + jitter.
SEND_MAX_RETRIES = env_int("SEND_MAX_RETRIES", 8)
# A queued batch nobody started within this many seconds had its task lost (a broker
# flush): the sweeper queues it again. Claiming is idempotent, so a duplicate is harmless.
SEND_REQUEUE_AFTER = env_int("SEND_REQUEUE_AFTER", 600)
# A batch still "submitting" this long after its claim lost its worker mid-call: it
# becomes "uncertain". Longer than a task may run (CELERY_TASK_TIME_LIMIT below).
SEND_SUBMITTING_TIMEOUT = env_int("SEND_SUBMITTING_TIMEOUT", 660)
# --------------------------------------------------------------------------- ESP events
# https://anymail.dev/en/stable/sending/tracking/
# What the ESP's webhooks (/anymail/<esp>/tracking/) may do; README "ESP events".
# A click this many seconds or less after the copy was sent or delivered is a link
# scanner's, not a reader's: recorded, never counted as engagement.
BOT_CLICK_SECONDS = env_int("BOT_CLICK_SECONDS", 10)
# Complaint rate = complaints / delivered, per digest and per day. Mailbox providers
# act at ~0.3% (Gmail's bulk-sender rules); we warn well before and pause at it.
COMPLAINT_WARN_RATE = env_float("COMPLAINT_WARN_RATE", 0.001)
COMPLAINT_PAUSE_RATE = env_float("COMPLAINT_PAUSE_RATE", 0.003)
# Below this many delivered copies a rate means little (1 complaint in 10): no pause.
COMPLAINT_MIN_DELIVERED = env_int("COMPLAINT_MIN_DELIVERED", 1000)

# --------------------------------------------------------------------------- celery
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# Without a broker every task runs inline, in the caller's process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or None
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Tasks are idempotent, so a message is acknowledged only once its task finished and
# comes back if the worker dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
# Redis re-delivers an unacknowledged message after the visibility timeout; it must
# be far longer than any task (time limit above) or a slow task runs twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / "celerybeat-schedule"))

# --------------------------------------------------------------------------- article imports
# README "Article sources". Every outbound request of an import (feeds, WordPress REST,
# popularity plugins) is bounded: connect and read timeouts (seconds), a whole-response
# deadline (a server dripping one byte at a time never trips a read timeout) and a size
# cap, checked while streaming, on the decompressed body.
IMPORT_CONNECT_TIMEOUT = env_int("IMPORT_CONNECT_TIMEOUT", 5)
IMPORT_READ_TIMEOUT = env_int("IMPORT_READ_TIMEOUT", 30)
IMPORT_RESPONSE_DEADLINE = env_int("IMPORT_RESPONSE_DEADLINE", 120)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# WordPress pages of 100 posts fetched per run; a bigger backlog continues in the next
# run at once, so one run stays well inside the Celery task time limit.
IMPORT_MAX_PAGES = env_int("IMPORT_MAX_PAGES", 50)
# Published articles this recent are checked against the source on every run, so a post
# deleted or unpublished in the CMS leaves the digest too.
IMPORT_RECONCILE_DAYS = env_int("IMPORT_RECONCILE_DAYS", 14)

# --------------------------------------------------------------------------- logging
# One JSON object per line on stdout (LOG_FORMAT=text for humans).
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "newsroom.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
