"""Settings read from the environment.

Embedded default (no env): SQLite file + in-memory channel layer, so one command runs a demo.
Scaled setup: DATABASE_URL=postgres://… and REDIS_URL=redis://… for several Daphne processes.
"""
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from meetingroom.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("MEETINGROOM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_INSECURE_DEFAULT_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_DEFAULT_KEY)
if not DEBUG and SECRET_KEY == _INSECURE_DEFAULT_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (production refuses the built-in development key)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "audit.admin_apps.AuditedAdminConfig",  # django.contrib.admin, every change audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "audit",
    "sessions.apps.MeetingSessionsConfig",
    "documents",
    "voting",
    "minutes",
    "notifications",
    "django_tasks",
    "django_tasks_db",
    "consultations",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "meetingroom.headers.SecurityHeaders",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "meetingroom.middleware.IgnoreBrowserLanguage",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a lockout into the sign-in page with its message
]

ROOT_URLCONF = "meetingroom.urls"
# The forgiving backend signs people in; ModelBackend stays listed so that sessions created by it
# (before this backend existed, or by tools) remain valid.
# Axes comes first: it refuses a locked-out name before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "meetingroom.auth.ForgivingUsernameBackend",
                           "django.contrib.auth.backends.ModelBackend"]
ASGI_APPLICATION = "meetingroom.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # CONN_MAX_AGE must stay 0 under ASGI: each sync_to_async thread would otherwise keep its own.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool("DATABASE_POOL", True):
        # A pool instead of a new connection per socket message (psycopg_pool, Django ≥ 5.1).
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 2), "max_size": env_int("DATABASE_POOL_MAX", 20), "timeout": 30,
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": {
                # Writers queue instead of failing with "database is locked".
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory, so Daphne processes started by tests share the test database.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer --------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from redis.asyncio.retry import Retry  # the async client needs the async Retry

    _redis_host = {
        "address": REDIS_URL,
        # redis-py 8 defaults (5 s socket timeout, 100 connections) break blocking reads.
        "socket_timeout": None,
        "max_connections": env_int("REDIS_MAX_CONNECTIONS", 1000),
        # After a Redis restart, pooled connections are dead: check idle ones before use and
        # retry a failed command on a fresh connection.
        "health_check_interval": 10,
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), 5),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }
    CHANNEL_LAYER_KIND = env_str("CHANNEL_LAYER", "pubsub")
    if CHANNEL_LAYER_KIND == "pubsub":
        # One PUBLISH per group message, fanned out inside each process: a meeting of 1,000
        # tablets costs Redis one message per event, not 1,000 (see docs/decisions.md).
        CHANNEL_LAYERS = {"default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [_redis_host]},
        }}
    elif CHANNEL_LAYER_KIND == "core":
        CHANNEL_LAYERS = {"default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_redis_host],
                "capacity": env_int("CHANNEL_CAPACITY", 1000),
                "expiry": 60,
                "group_expiry": 86400,
            },
        }}
    else:
        raise ImproperlyConfigured(f"CHANNEL_LAYER must be 'pubsub' or 'core', got {CHANNEL_LAYER_KIND!r}")
else:
    CHANNEL_LAYERS = {"default": None}  # one process: nothing between processes
# Each process delivers to its own sockets itself and uses Redis only between processes, so a
# Redis outage degrades to local delivery plus polling the event log (sessions/layer.py).
CHANNEL_LAYERS = {"default": {"BACKEND": "sessions.layer.LocalFirstLayer", "CONFIG": {
    "inner": CHANNEL_LAYERS["default"], "capacity": env_int("CHANNEL_CAPACITY", 1000)}}}

# --- Auth and sessions (shared tablets) -----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes, database handler: SQLite and PostgreSQL, shared by every Daphne
# process): after LOGIN_MAX_FAILURES wrong passwords for one name from one address, that pair is
# locked for LOGIN_LOCK_MINUTES. Names are counted as the forgiving backend reads them (trimmed,
# any case). See docs/decisions.md.
AXES_FAILURE_LIMIT = env_int("LOGIN_MAX_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCK_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "meetingroom.auth.login_name"
AXES_LOCKOUT_CALLABLE = "meetingroom.auth.locked_out"
AXES_RESET_ON_SUCCESS = True
if env_bool("FAST_PASSWORD_HASHER_FOR_TESTS", False):
    # Tests create many users; real deployments keep Django's slow default hashers.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                        "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # a long meeting day, then sign in again
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    # The proxy terminates TLS: trust its X-Forwarded-Proto, send plain-HTTP visitors to HTTPS and
    # tell browsers to never come back without TLS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe speaks plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve app static files straight from the apps too, so a missed collectstatic never breaks tablets.
WHITENOISE_USE_FINDERS = True
# Uploaded files live outside any public URL: they are served only by permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
# Private files in S3-compatible object storage instead (s3://KEY:SECRET@host:port/bucket; s3s:// for
# HTTPS): needed when several app machines serve the same meetings (meetingroom/blobstore.py).
STORAGE_URL = env_str("STORAGE_URL", "")
DOCUMENT_MAX_BYTES = env_int("DOCUMENT_MAX_MB", 50) * 1024 * 1024
# Decompression bounds checked at upload (documents/sanitize.py): total decoded stream bytes,
# pages, and pixels of any one image. A file over them is refused instead of failing every view.
DOCUMENT_MAX_DECODED_BYTES = env_int("DOCUMENT_MAX_DECODED_MB", 512) * 1024 * 1024
DOCUMENT_MAX_PAGES = env_int("DOCUMENT_MAX_PAGES", 2000)
DOCUMENT_MAX_IMAGE_PIXELS = env_int("DOCUMENT_MAX_IMAGE_MEGAPIXELS", 150) * 1_000_000
OFFICE_CONVERT_TIMEOUT = env_int("OFFICE_CONVERT_TIMEOUT", 120)  # seconds for LibreOffice per file
# A row still "converting" this long after its claim lost its worker (documents/conversions.py):
# LibreOffice's limit plus time to store the result.
OFFICE_CONVERT_STALE_SECONDS = env_int("OFFICE_CONVERT_STALE_SECONDS", OFFICE_CONVERT_TIMEOUT + 60)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Request bodies, capped by the server before the app runs (meetingroom/bodycap.py): an upload
# plus room for its form; without a session cookie only small forms (sign-in, language).
REQUEST_MAX_BYTES = DOCUMENT_MAX_BYTES + 1024 * 1024
ANONYMOUS_REQUEST_MAX_BYTES = env_int("ANONYMOUS_REQUEST_MAX_KB", 64) * 1024
OFFLINE_PACK_DAYS = env_int("OFFLINE_PACK_DAYS", 7)

# --- Keys outside the database --------------------------------------------------------------
# The application's key (secret-ballot key wrapping and MACs, the audit chain's HMAC): outside
# the database and its backups, readable only by the app, the same file on every app server
# (created on first use). See meetingroom/keyfile.py.
APP_KEY_FILE = Path(env_str("APP_KEY_FILE", str(VAR_DIR / "app.key")))
# Append-only export of the audit chain's head (one "id hash" line per entry), outside the database.
AUDIT_ANCHOR_FILE = Path(env_str("AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.log")))

# --- Long-term signatures of the minutes (minutes/ltv.py) -------------------------------------
# The site's public address, written into issued certificates as the CA's CRL location.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
# An RFC 3161 time-stamping authority; empty = no timestamps (signatures stay PAdES B-B).
MINUTES_TSA_URL = env_str("MINUTES_TSA_URL", "")
MINUTES_TSA_TIMEOUT = env_int("MINUTES_TSA_TIMEOUT", 20)
# PEM bundle of the TSA's root(s): timestamps are trusted only under these, signers only under
# the organisation CAs.
MINUTES_TSA_ROOTS_FILE = env_str("MINUTES_TSA_ROOTS_FILE", "")

# --- Real-time ------------------------------------------------------------------------------
# How far behind a reconnecting client may be before it gets a snapshot instead of a replay.
EVENT_REPLAY_LIMIT = env_int("EVENT_REPLAY_LIMIT", 500)
WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 16 * 1024)
WS_RATE_PER_SECOND = env_int("WS_RATE_PER_SECOND", 20)
PRESENCE_TTL_SECONDS = env_int("PRESENCE_TTL_SECONDS", 30)

# --- Background tasks (django-tasks, database backend: SQLite and PostgreSQL) -------------------
# Workers: `python manage.py db_worker --queue-name …` (Procfile; `make run` starts one beside the
# server). Notices and office conversions never run inside a request. See docs/decisions.md.
TASKS = {"default": {
    "BACKEND": "django_tasks_db.DatabaseBackend",
    "QUEUES": ["default", "notices", "conversions"],
}}

# --- E-mail notices (notifications/) ----------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Phong hop khong giay <no-reply@localhost>")
# A failed send is tried again after NOTICE_RETRY_SECONDS, doubling each time, NOTICE_MAX_ATTEMPTS in all.
NOTICE_MAX_ATTEMPTS = env_int("NOTICE_MAX_ATTEMPTS", 6)
NOTICE_RETRY_SECONDS = env_int("NOTICE_RETRY_SECONDS", 60)
# Local hour at which "deadline tomorrow" reminders go out.
NOTICE_REMINDER_HOUR = env_int("NOTICE_REMINDER_HOUR", 7)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
