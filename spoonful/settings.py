"""Settings for the patient community, read from the environment.

Unset variables give a local, self-contained setup (SQLite, in-memory channel
layer, local-memory cache, console email). Production sets DATABASE_URL,
REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and the email settings.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

_INSECURE_DEV_KEY = "insecure-local-development-key-never-use-in-production"
# Read as written: django-environ takes a value starting with "$" for the name of
# another variable, and a generated key may well start with one.
SECRET_KEY = env.ENVIRON.get("SECRET_KEY") or (_INSECURE_DEV_KEY if DEBUG else "")
if not SECRET_KEY:
    # Tests and one-off commands run with DEBUG off; a per-process random key
    # keeps them working while making a forgotten production key loud (every
    # restart logs everyone out) rather than silently shared.
    SECRET_KEY = get_random_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
if "*" in ALLOWED_HOSTS and not DEBUG:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's hosts in production, not '*'.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Where every emailed link (verification, password reset, notifications, one-click
# unsubscribe) points. Locally it follows the address `make run` serves (HOST, PORT);
# production must set it, and the deploy check fails until it does (spoonful/checks.py).
SITE_URL_FROM_ENVIRONMENT = bool(env.str("SITE_URL", default=""))
if SITE_URL_FROM_ENVIRONMENT:
    SITE_URL = env.str("SITE_URL").rstrip("/")
else:
    _host = env.str("HOST", default="127.0.0.1")
    # A server listening on every interface is still opened at the loopback address.
    _host = "127.0.0.1" if _host in ("0.0.0.0", "::", "") else _host  # noqa: S104
    _host = f"[{_host}]" if ":" in _host else _host
    SITE_URL = f"http://{_host}:{env.int('PORT', default=8000)}"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "channels",
    "taggit",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_q",
    "spoonful",
    "accounts",
    "community",
    "moderation",
    "discussions",
    "notifications",
    "conversations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "spoonful.middleware.PrivateByDefaultMiddleware",
    "spoonful.middleware.DatabaseUnavailableMiddleware",
    "spoonful.middleware.NulInPathMiddleware",
]

ROOT_URLCONF = "spoonful.urls"
ASGI_APPLICATION = "spoonful.asgi.application"
WSGI_APPLICATION = "spoonful.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.notifications",
                "moderation.context_processors.moderation",
                "accounts.context_processors.reading_preferences",
                "accounts.context_processors.staff_tasks",
                "accounts.context_processors.professional",
                "spoonful.context_processors.live_updates",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL and IMMEDIATE transactions stop "database is locked" errors when
        # daphne's threads write at once; the timeout makes writers queue.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Browser tests run daphne in another process, so the test database must
    # be a file both processes open.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_SQLITE_NAME", default=str(BASE_DIR / "test_db.sqlite3"))}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: cache and channel layer ------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
# Rendered reply fragments (discussions/fragments.py) have a cache of their own, so a busy
# page never pushes rate-limit counters or presence out of the default one. In memory
# (no Redis), this many at most per process: a few KiB each.
FRAGMENTS_IN_MEMORY = env.int("FRAGMENTS_IN_MEMORY", default=5000)


def redis_cache(url: str) -> dict:
    # Rate limits and presence fall back to per-process memory while Redis is
    # unreachable (spoonful/cache.py); short timeouts keep a dead Redis from
    # holding up the request that notices it.
    return {
        "BACKEND": "spoonful.cache.FailOpenRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "community",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
    }


def redis_caches(url: str) -> dict:
    return {"default": redis_cache(url), "fragments": {**redis_cache(url), "KEY_PREFIX": "fragments"}}


def redis_channel_layer(url: str) -> dict:
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [url], "capacity": 1000, "expiry": 60},
    }


if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL)}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "fragments",
            "OPTIONS": {"MAX_ENTRIES": FRAGMENTS_IN_MEMORY},
        },
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background jobs (spoonful/jobs.py) ----------------------------------------

# django-q2 on its ORM broker: the queue is a table in DATABASES["default"], so a job
# is committed with the change that causes it. Workers: `manage.py qcluster`.
Q_CLUSTER = {
    "name": "spoonful",
    "orm": "default",
    "workers": env.int("JOB_WORKERS", default=2),
    # A job running longer than this is stopped (and counts as a failed attempt).
    "timeout": env.int("JOB_TIMEOUT_SECONDS", default=300),
    # A job whose worker died is taken again this long after it was picked up;
    # it must exceed the timeout, or a slow job would run twice at once.
    "retry": env.int("JOB_RETRY_SECONDS", default=330),
    "max_attempts": env.int("JOB_MAX_ATTEMPTS", default=6),
    # A failed attempt stays queued (spoonful.jobs sets its pause) until the last one.
    "ack_failures": False,
    # A schedule missed while every worker was down runs once, not once per missed turn.
    "catch_up": False,
    "save_limit": 1000,
    "poll": env.float("JOB_POLL_SECONDS", default=0.5),
    "label": "Background jobs",
}
# The pause after a job's first failure; it doubles with each further one.
JOBS_FIRST_RETRY_SECONDS = env.int("JOB_FIRST_RETRY_SECONDS", default=30)
# Tests run each job in-process after commit (spoonful/jobs.py says how).
JOBS_IMMEDIATE = env.bool("JOBS_IMMEDIATE", default=False)

# --- Live updates -----------------------------------------------------------

# When a socket process restarts, every page it served reconnects. Each page waits a random
# moment within this window before its first try, so the processes left (and the new one)
# take the returning sockets spread over the window instead of all in the same instant.
LIVE_RECONNECT_SPREAD_SECONDS = env.float("LIVE_RECONNECT_SPREAD_SECONDS", default=5.0)

# --- Alerts -----------------------------------------------------------------

# A crisis alert nobody took ("I'm on it") within this many minutes goes to all staff, once.
CRISIS_ESCALATION_MINUTES = env.int("CRISIS_ESCALATION_MINUTES", default=15)
# A community's moderators hear when the oldest thing in its queue has waited this long,
# at most once in each such window.
QUEUE_ALERT_HOURS = env.int("QUEUE_ALERT_HOURS", default=24)

# --- Accounts ---------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ],
)

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
# Behind a proxy, the client address comes from X-Forwarded-For counted from the
# right by this many trusted hops; a spoofed header cannot dodge the limits.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupConsentForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_UNIQUE_EMAIL = True
# Changing email, password or two-factor asks for the password again after 5 minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Spoonful] "
ACCOUNT_USERNAME_BLACKLIST = ["admin", "staff", "moderator", "anonymous", "support", "system"]
# allauth's own limits, written out so the numbers are visible and reviewable.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_email": "1/3m/key",
}
# Posting, flagging, joining, search and draft limits (spoonful/ratelimits.py). Only a
# load test that posts far faster than any member should switch them off.
if not env.bool("APP_RATE_LIMITS", default=True):
    SPOONFUL_RATE_LIMITS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Spoonful"
# A write on every request is too dear for pages that must stay fast; sessions still list IP and agent.
USERSESSIONS_TRACK_ACTIVITY = False
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"

# --- Email ------------------------------------------------------------------

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Spoonful <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Web Push ---------------------------------------------------------------

# One VAPID key pair for the site (`manage.py vapid_keys` prints a fresh one): the public key, base64url,
# is what browsers subscribe with; the private key signs each push; the subject (mailto: or https:) is how
# a push service reaches the operator. All three unset: push is off and the settings page says so.
VAPID_PUBLIC_KEY = env.str("VAPID_PUBLIC_KEY", default="")
VAPID_PRIVATE_KEY = env.str("VAPID_PRIVATE_KEY", default="")
VAPID_SUBJECT = env.str("VAPID_SUBJECT", default="")
# Push services a subscription may name (host or a parent domain), so the workers never POST to an
# address a member made up. Browsers' own services by default; http://localhost only in DEBUG (and tests).
PUSH_SERVICE_HOSTS = env.list(
    "PUSH_SERVICE_HOSTS",
    default=[
        "fcm.googleapis.com",
        "android.googleapis.com",
        "push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
)
PUSH_ALLOW_LOCALHOST = env.bool("PUSH_ALLOW_LOCALHOST", default=DEBUG)

# --- Sessions and transport security ----------------------------------------

# With Redis, sessions are read from the cache and written through to the database, which
# stays the record (accounts.sessions searches it); whatever ends a session with the ORM
# must also drop its cache entry (accounts.sessions.sessions_end does). Without Redis the
# cache is each process's own memory, where a session ended by another process (the job
# worker ends sessions) would live on: the database alone is the record then.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
_secure_by_default = not DEBUG
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure_by_default)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure_by_default)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure_by_default)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure_by_default else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_secure_by_default)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False

# No inline scripts or styles anywhere, so the policy needs no nonces; websockets
# go back to the same host ('self' covers ws: and wss: in current browsers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The installable app: /sw.js and /manifest.webmanifest (default-src covers them; named to be plain).
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# Files browsers fetch from the site root by convention (/favicon.ico). whitenoise
# answers them before sessions or the database are touched.
WHITENOISE_ROOT = BASE_DIR / "webroot"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
PRIVATE_STORAGE_ROOT = env.path("PRIVATE_STORAGE_ROOT", default=BASE_DIR / "private")
# Attached photos and PDFs (discussions.models.attachment_storage) are kept under
# PRIVATE_STORAGE_ROOT unless ATTACHMENT_STORAGE_BACKEND names another storage: in
# production, django-storages' "storages.backends.s3.S3Storage" on an S3-compatible
# bucket (README, "Photos and PDFs"). Files are private there too: the app streams each
# one through a permission-checked view and never hands out the bucket's URLs.
if env.str("ATTACHMENT_STORAGE_BACKEND", default=""):
    STORAGES["attachments"] = {
        "BACKEND": env.str("ATTACHMENT_STORAGE_BACKEND"),
        "OPTIONS": {
            "bucket_name": env.str("ATTACHMENT_STORAGE_BUCKET"),
            "endpoint_url": env.str("ATTACHMENT_STORAGE_ENDPOINT_URL", default="") or None,
            "region_name": env.str("ATTACHMENT_STORAGE_REGION", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Internationalisation -----------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

SITE_NAME = "Spoonful"

SECRET_KEY_FROM_ENVIRONMENT = "SECRET_KEY" in env.ENVIRON
