"""ARC settings: one file, driven by the environment (see docs/configuration.md).

Unknown ``ARC_*`` variables and malformed values stop start-up (arc/env.py).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from arc import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("ARC_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("ARC_DEBUG", False)
TESTING = env.boolean("ARC_TESTING", False)
PRODUCTION = env.boolean("ARC_PRODUCTION", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("ARC_PRODUCTION and ARC_DEBUG cannot both be on")


def _dev_secret(name: str, make) -> str:
    """A secret kept under var/ for development runs; production must set it."""
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set in production (or {name}_FILE)")
    path = VAR_DIR / f".{name.lower()}"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        value = make()
        path.write_text(value)
        path.chmod(0o600)
        return value


SECRET_KEY = env.string("ARC_SECRET_KEY", "") or _dev_secret("ARC_SECRET_KEY", lambda: secrets.token_urlsafe(50))
# Fernet key for data encrypted at rest (transmitter keys, camera credentials).
FIELD_ENCRYPTION_KEY = env.string("ARC_FIELD_KEY", "") or _dev_secret(
    "ARC_FIELD_KEY", lambda: __import__("cryptography.fernet").fernet.Fernet.generate_key().decode()
)

ALLOWED_HOSTS = env.string_list("ARC_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.string_list("ARC_CSRF_TRUSTED_ORIGINS", [])

# --- processes and ports -------------------------------------------------
HTTP_BIND = env.string("ARC_HTTP_BIND", "127.0.0.1")
HTTP_PORT = env.integer("ARC_HTTP_PORT", 8000, minimum=1, maximum=65535)
DC09_BIND = env.string("ARC_DC09_BIND", "127.0.0.1")
DC09_PORT = env.integer("ARC_DC09_PORT", 10001, minimum=1, maximum=65535)
# Name of this receiver instance in the signal journal (several may run).
RECEIVER_NAME = env.string("ARC_RECEIVER_NAME", "rx1")
VIDEO_BIND = env.string("ARC_VIDEO_BIND", "127.0.0.1")
VIDEO_PORT = env.integer("ARC_VIDEO_PORT", 8002, minimum=1, maximum=65535)
# Where browsers reach the video service for the MJPEG fallback.
VIDEO_PUBLIC_URL = env.string("ARC_VIDEO_PUBLIC_URL", f"http://127.0.0.1:{VIDEO_PORT}")
EMBEDDED_PG_PORT = env.integer("ARC_PG_PORT", 54329, minimum=1, maximum=65535)
EMBEDDED_REDIS_PORT = env.integer("ARC_REDIS_PORT", 63799, minimum=1, maximum=65535)

# --- database ----------------------------------------------------------------
_database_url = os.environ.get("DATABASE_URL") or f"postgres://arc@127.0.0.1:{EMBEDDED_PG_PORT}/arc"
DATABASES = {"default": env.database_url(_database_url)}
DATABASES["default"]["CONN_MAX_AGE"] = env.integer("ARC_DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
if TESTING:
    # Tests flush tables with TRUNCATE; the logbook's TRUNCATE trigger lets
    # only a session that says so through (UPDATE and DELETE stay refused).
    DATABASES["default"]["OPTIONS"]["options"] = "-c arc.logbook_truncate=on"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker, channel layer ---------------------------------
REDIS_URL = (os.environ.get("REDIS_URL") or f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}").rstrip("/")
_redis_base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.rsplit("/", 1)[-1].isdigit() else REDIS_URL
REDIS_CACHE_URL = f"{_redis_base}/0"
REDIS_BROKER_URL = f"{_redis_base}/1"
REDIS_CHANNELS_URL = f"{_redis_base}/2"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": env.string("ARC_CACHE_PREFIX", "arc"),
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # socket_timeout None: redis-py 8 otherwise closes idle sockets every
            # few seconds and consumers lose their group subscriptions.
            "hosts": [{"address": REDIS_CHANNELS_URL, "socket_timeout": None}],
            # The default of 100 drops bursts silently; the console resyncs from
            # PostgreSQL anyway, but a doorbell that rings is cheaper than a poll.
            "capacity": env.integer("ARC_CHANNEL_CAPACITY", 2000, minimum=100),
            "expiry": 60,
            "group_expiry": 86400,
            "prefix": env.string("ARC_CHANNEL_PREFIX", "arc"),
        },
    }
}

# --- Celery ----------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_BROKER_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env.string("ARC_CELERY_QUEUE", "arc")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}  # filled by each app's tasks via arc/celery.py
CELERY_TASK_ALWAYS_EAGER = False

# --- apps --------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "import_export",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "arc",
    "logbook",
    "sites",
    "alarms",
    "dispatch",
    "video",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.middleware.SessionSecurityMiddleware",  # idle timeout, staff TOTP (portal/middleware.py)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "logbook.middleware.CorrelationMiddleware",
    "axes.middleware.AxesMiddleware",
]

# /health/ must answer while the database (sessions, users) is down (arc/views_health.py).
MIDDLEWARE.insert(0, "arc.views_health.HealthFirstMiddleware")

ROOT_URLCONF = "arc.urls"
ASGI_APPLICATION = "arc.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "arc.context.roles",
            ],
        },
    }
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env.integer("ARC_PASSWORD_MIN_LENGTH", 12, minimum=8)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+address after N failures.
AXES_FAILURE_LIMIT = env.integer("ARC_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env.number("ARC_LOGIN_COOLOFF_MINUTES", 15, minimum=0) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.boolean("ARC_LOGIN_THROTTLE", True)

# Staff sessions end after this much inactivity (portal.middleware enforces it).
SESSION_IDLE_TIMEOUT = env.integer("ARC_IDLE_TIMEOUT_MINUTES", 12 * 60, minimum=1) * 60
SESSION_COOKIE_AGE = 14 * 24 * 3600
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Two-factor authentication is required of staff when on (production default).
REQUIRE_STAFF_2FA = env.boolean("ARC_REQUIRE_STAFF_2FA", PRODUCTION)
# A staff member idle this long starts a new shift (what changed since the last shift).
SHIFT_GAP_HOURS = env.integer("ARC_SHIFT_GAP_HOURS", 4, minimum=1)
OTP_TOTP_ISSUER = "ARC"

# --- data protection (retention, docs/security.md) ----------------------------------
# Signal journal rows older than this are deleted by `manage.py purge_signals`.
RETENTION_SIGNALS_DAYS = env.integer("ARC_RETENTION_SIGNALS_DAYS", 400, minimum=30)
# Logbook entries older than this are archived to a file and removed by `manage.py purge_logbook`.
RETENTION_LOGBOOK_DAYS = env.integer("ARC_RETENTION_LOGBOOK_DAYS", 5 * 366, minimum=365)
LOGBOOK_ARCHIVE_DIR = Path(env.string("ARC_LOGBOOK_ARCHIVE_DIR", str(VAR_DIR / "logbook-archive")))
# Daily at 03:30 UTC: portal/tasks.py (purge signals, archive the logbook's expired prefix).
CELERY_BEAT_SCHEDULE["portal-retention"] = {
    "task": "portal.retention", "schedule": crontab(hour=3, minute=30)}

# --- i18n --------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"  # display; storage is UTC

# --- static and media ------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
SERVE_STATIC = env.boolean("ARC_SERVE_STATIC", True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.string("ARC_MEDIA_ROOT", str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- mail (call-outs by email) ------------------------------------------------------------
EMAIL_BACKEND = env.string("ARC_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.string("ARC_EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("ARC_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env.string("ARC_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env.string("ARC_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("ARC_EMAIL_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.string("ARC_EMAIL_FROM", "arc@localhost")

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ARC API",
    "DESCRIPTION": "Integration API of the ARC alarm receiving centre.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["portal.api.schema.only_api"],
    "ENUM_NAME_OVERRIDES": {"AlarmCategoryEnum": "alarms.models.alarm.Category"},
}

# --- demo --------------------------------------------------------------------------------------
DEMO_PASSWORD = env.string("ARC_DEMO_PASSWORD", "demo")

# --- security headers (production) ------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; keep default
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env.boolean("ARC_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
    INSTALLED_APPS.append("csp")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", VIDEO_PUBLIC_URL],
        "media-src": ["'self'", "blob:", VIDEO_PUBLIC_URL],
        "connect-src": ["'self'", "ws:", "wss:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("ARC_LOG_LEVEL", "INFO",
                                                         choices=("DEBUG", "INFO", "WARNING", "ERROR"))},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- centre health (arc/health.py, /health/, manage.py healthcheck) ------------------------------
# Receivers that must be alive (names as in ARC_RECEIVER_NAME); empty = every receiver seen today.
HEALTH_RECEIVERS = env.string_list("ARC_HEALTH_RECEIVERS", [])
# Kinds of process whose absence makes the centre degraded (or down, for receivers).
HEALTH_EXPECT = env.string_list("ARC_HEALTH_EXPECT", ["receiver", "intake", "timers", "video"])
HEALTH_RECEIVER_STALE = env.number("ARC_HEALTH_RECEIVER_STALE", 30, minimum=1)  # s without heartbeat
HEALTH_INTAKE_STALE = env.number("ARC_HEALTH_INTAKE_STALE", 30, minimum=1)
HEALTH_TIMER_STALE = env.number("ARC_HEALTH_TIMER_STALE", 15, minimum=1)  # the tick beats every second
HEALTH_VIDEO_STALE = env.number("ARC_HEALTH_VIDEO_STALE", 60, minimum=1)
HEALTH_BACKLOG_AGE = env.number("ARC_HEALTH_BACKLOG_AGE", 30, minimum=1)  # oldest pending signal, s
# No frame on any receiver for this long means the panels' network path is lost (0 = off; a demo
# centre has no panels, a production one hears thousands of polls a minute).
HEALTH_FRAME_SILENCE = env.number("ARC_HEALTH_FRAME_SILENCE", 900 if PRODUCTION else 0, minimum=0)
HEALTH_JOURNAL_LOOKBACK = 3600  # s of signal journal scanned for each receiver's last frame
HEALTH_CACHE_SECONDS = env.number("ARC_HEALTH_CACHE_SECONDS", 2, minimum=0)

# --- dispatch: timers, call-outs, interventions (docs/timers.md) --------------------------
# The beat tick (1 s) is late when its heartbeat is older than this: system alarm + banner.
TIMERS_STALE_SECONDS = env.integer("ARC_TIMERS_STALE_SECONDS", 10, minimum=3)
# Call-outs: how long a contact has to acknowledge before the next one is called.
CALLOUT_CONTACT_WAIT_SECONDS = env.integer("ARC_CALLOUT_CONTACT_WAIT_SECONDS", 120, minimum=10)
CALLOUT_CHANNELS = env.string_list("ARC_CALLOUT_CHANNELS", ["sms", "email"])
CALLOUT_MAX_TRIES = env.integer("ARC_CALLOUT_MAX_TRIES", 4, minimum=1)
SMS_PROVIDER = env.string("ARC_SMS_PROVIDER", "log", choices=("log", "twilio"))
VOICE_PROVIDER = env.string("ARC_VOICE_PROVIDER", "log", choices=("log", "twilio"))
TWILIO_API_URL = env.string("ARC_TWILIO_API_URL", "https://api.twilio.com")
TWILIO_ACCOUNT_SID = env.string("ARC_TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env.string("ARC_TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env.string("ARC_TWILIO_FROM", "")
# Inbound SMS replies (acknowledgements) from the log provider's gateway carry this token.
SMS_INBOUND_TOKEN = env.string("ARC_SMS_INBOUND_TOKEN", "")
# Base URL of the signed links sent to contacts and guards.
DISPATCH_PUBLIC_URL = env.string("ARC_DISPATCH_PUBLIC_URL", f"http://127.0.0.1:{HTTP_PORT}")
GUARD_LINK_MAX_AGE_HOURS = env.integer("ARC_GUARD_LINK_HOURS", 24, minimum=1)
# Faults (battery, mains, transmission) open this long notify the installer.
FAULT_NOTICE_MINUTES = env.integer("ARC_FAULT_NOTICE_MINUTES", 240, minimum=1)
# The site that carries the centre's own alarms (timers stopped…); intake needs a site.
SYSTEM_SITE_CODE = env.string("ARC_SYSTEM_SITE_CODE", "ARC")
INTERVENTION_PHOTO_MAX_BYTES = 8 * 1024 * 1024

# --- video: cameras, the video service, clips (docs/video.md) --------------------------------
# Clips are purged after this many days (30 = the CNIL ceiling); a legal hold keeps one.
VIDEO_RETENTION_DAYS = env.integer("ARC_VIDEO_RETENTION_DAYS", 30, minimum=1)
# Lifetime of the token Django mints for the MJPEG fallback (to open the stream, not to watch).
VIDEO_TOKEN_SECONDS = env.integer("ARC_VIDEO_TOKEN_SECONDS", 60, minimum=5)
# Offer only 127.0.0.1 as ICE host candidate and accept only loopback candidates (tests, demo).
VIDEO_ICE_LOOPBACK = env.boolean("ARC_VIDEO_ICE_LOOPBACK", TESTING or DEBUG)
# Channel-layer group the video services join: WebRTC offers and hang-ups are sent there.
VIDEO_SERVICE_GROUP = "video.service"

# --- intake: DC-09 receiver and intake worker (docs/receiver.md) ------------------------------
DC09_WRITERS = env.integer("ARC_DC09_WRITERS", 1, minimum=1, maximum=16)
DC09_PROCESSES = env.integer("ARC_DC09_PROCESSES", 1, minimum=1, maximum=32)
DC09_MAX_BATCH = env.integer("ARC_DC09_MAX_BATCH", 500, minimum=1, maximum=10000)
DC09_REFRESH_SECONDS = env.number("ARC_DC09_REFRESH_SECONDS", 5, minimum=0.5)
DC09_MAX_CONNECTIONS_PER_ADDRESS = env.integer("ARC_DC09_MAX_CONN_PER_ADDRESS", 256, minimum=1)
DC09_RATE_PER_ADDRESS = env.number("ARC_DC09_RATE_PER_ADDRESS", 2000, minimum=1)
# Longer than the longest expected NULL poll interval (PROTOCOLS.md 2.10).
DC09_IDLE_TIMEOUT = env.number("ARC_DC09_IDLE_TIMEOUT", 900, minimum=1)
DC09_PARTIAL_TIMEOUT = env.number("ARC_DC09_PARTIAL_TIMEOUT", 5, minimum=0.1)
INTAKE_POLL_SECONDS = env.number("ARC_INTAKE_POLL_SECONDS", 2, minimum=0.1)
INTAKE_DEDUP_HOURS = env.integer("ARC_INTAKE_DEDUP_HOURS", 2, minimum=1)
INTAKE_SNAPSHOT_MAX_BYTES = 5 * 1024 * 1024

# Variables read by the runner, tests and benches, not here.
env.declare("ARC_TEST_KEEP_SERVICES", "ARC_RUN_SERVICES", "ARC_BENCH_DURATION")
env.check_unknown()
