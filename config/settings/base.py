"""Settings shared by every setting module: values read from the environment, nothing done.

Importing this module starts no process and creates no folder; it only reads variables
(and the optional `.env` file). `local.py` (a developer's machine, the default of
manage.py, wsgi, asgi and celery), `production.py` (DEBUG off, refuses unsafe values) and
`test.py` (pytest, mypy) build on it. The defaults are the embedded setup: SQLite in var/
and the redis-server that `make run` starts on port 6390.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# The SQLite file, collectstatic's target and Celery beat's schedule live here. The folder
# is created by whoever writes into it (config.launch, collectstatic), never by settings.
VAR_DIR = BASE_DIR / "var"

DEFAULT_SECRET_KEY = "django-insecure-boxoffice-development-key-change-me"  # noqa: S105

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless a setting module says otherwise: local.py turns it on by default, production.py
# refuses it. The HTTPS hardening that goes with DEBUG off is in production.py.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEFAULT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BENCH_ROUTES = env.bool("BENCH_ROUTES", default=False)  # bench/urls.py: load-test baselines

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_celery_beat",
    "accounts",
    "concerts",
    "queueing",
    "bookings",
    "payments",
    "checkout",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
# config.api.api_path patterns start with "/" on purpose (prefixes carry no trailing
# slash, so every API route answers with and without one); W002 warns about exactly that.
SILENCED_SYSTEM_CHECKS = ["urls.W002"]
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process, the worker and beat share one file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# DATABASE_POOLER=pgbouncer: DATABASE_URL points at PgBouncer in transaction pooling mode,
# where consecutive transactions may run on different server connections, so nothing may
# outlive a transaction: no server-side cursors (WITH HOLD), no prepared statements.
DATABASE_POOLER = env.str("DATABASE_POOLER", default="")
if DATABASE_POOLER == "pgbouncer":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
elif DATABASE_POOLER:
    raise ImproperlyConfigured("DATABASE_POOLER must be 'pgbouncer' or unset.")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: queue, cache, OTPs, throttling, Celery broker ------------------------------
# The default is the embedded redis-server that `make run` (config.launch) starts; settings
# never start it. A command run while nothing answers there fails when it first needs Redis:
# start `make run` (or `python -m config.embedded_redis`), or set REDIS_URL.
# production.py refuses to start without an explicit REDIS_URL.
EMBEDDED_REDIS_PORT = env.int("EMBEDDED_REDIS_PORT", default=6390)
REDIS_URL = env.str("REDIS_URL", default=f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0")

# The waiting room's Redis can live apart from the cache/broker, e.g. on a Redis Cluster:
# QUEUE_REDIS_URL names it (any one node of a cluster), QUEUE_REDIS_CLUSTER=1 says "cluster".
QUEUE_REDIS_URL = env.str("QUEUE_REDIS_URL", default="") or REDIS_URL
QUEUE_REDIS_CLUSTER = env.bool("QUEUE_REDIS_CLUSTER", default=False)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "bo-cache",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "concerts:home"
LOGOUT_REDIRECT_URL = "concerts:home"

OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"  # collectstatic target, served by WhiteNoise
# Hashed, compressed names need `collectstatic` first; local.py (DEBUG on) and test.py use
# the plain storage instead.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Email -----------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="boxoffice <tickets@boxoffice.localhost>"
)
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

# --- REST framework, JWT, OpenAPI ------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "config.api.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="120/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "auth": env.str("THROTTLE_AUTH", default="20/min"),
        "otp": env.str("THROTTLE_OTP", default="10/min"),
    },
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "boxoffice API",
    "DESCRIPTION": "Concert ticketing with a fair virtual waiting room.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# Content Security Policy: everything from our own origin; Stripe.js only when Stripe is on.
PAYMENT_PROVIDER = env.str("PAYMENT_PROVIDER", default="fake")
_stripe_js = ["https://js.stripe.com"] if PAYMENT_PROVIDER == "stripe" else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *_stripe_js],
        # hooks.stripe.com: Stripe's 3-D Secure challenge frames (Stripe's CSP guide).
        "frame-src": ["'self'", *_stripe_js, *(["https://hooks.stripe.com"] if _stripe_js else [])],
        "connect-src": ["'self'", *(["https://api.stripe.com"] if _stripe_js else [])],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Payments --------------------------------------------------------------------------
PAYMENT_PROVIDER_FAKE_ALLOWED = env.bool("PAYMENT_PROVIDER_FAKE_ALLOWED", default=False)
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
if PAYMENT_PROVIDER not in {"fake", "stripe"}:
    raise ImproperlyConfigured("PAYMENT_PROVIDER must be 'stripe' or 'fake'.")

# --- Waiting room and bookings ---------------------------------------------------------
QUEUE_MAX_ACTIVE_USERS = env.int("QUEUE_MAX_ACTIVE_USERS", default=50)
QUEUE_SLOT_SECONDS = env.int("QUEUE_SLOT_SECONDS", default=300)
QUEUE_PROMOTION_INTERVAL_SECONDS = env.int("QUEUE_PROMOTION_INTERVAL_SECONDS", default=5)
QUEUE_ADMIT_PER_MINUTE = env.int("QUEUE_ADMIT_PER_MINUTE", default=0)
QUEUE_PREQUEUE_SECONDS = env.int("QUEUE_PREQUEUE_SECONDS", default=1800)
QUEUE_ABANDON_SECONDS = env.int("QUEUE_ABANDON_SECONDS", default=300)
QUEUE_KEY_PREFIX = env.str("QUEUE_KEY_PREFIX", default="bo")
BOOKING_HOLD_SECONDS = env.int("BOOKING_HOLD_SECONDS", default=600)
BOOKING_EXPIRY_INTERVAL_SECONDS = env.int("BOOKING_EXPIRY_INTERVAL_SECONDS", default=60)
MAX_TICKETS_PER_BOOKING = env.int("MAX_TICKETS_PER_BOOKING", default=6)
MAX_TICKETS_PER_FAN = env.int("MAX_TICKETS_PER_FAN", default=6)

# Check-in: the door admits a concert's tickets from its doors_open_at (or, when unset,
# this many minutes before it starts) until this many minutes after it starts.
CHECKIN_OPENS_BEFORE_MINUTES = env.int("CHECKIN_OPENS_BEFORE_MINUTES", default=120)
CHECKIN_CLOSES_AFTER_MINUTES = env.int("CHECKIN_CLOSES_AFTER_MINUTES", default=360)

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_TASK_ACKS_LATE = True
# A task whose worker died mid-run goes back to the queue (every task is idempotent: ids in,
# conditional updates, one Lua tick); emails are at-least-once.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A queue name of its own lets several deployments (or CI runs) share one broker.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
if CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # RabbitMQ confirms each publish, so a task handed to a failing broker raises, not vanishes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks are declared here; django-celery-beat's DatabaseScheduler copies them
# into its tables at start, so nobody has to create them by hand in the admin.
CELERY_BEAT_SCHEDULE = {
    "queue-admit-all": {
        "task": "queueing.tasks.admit_all_concerts",
        "schedule": float(QUEUE_PROMOTION_INTERVAL_SECONDS),
        "options": {"expires": float(QUEUE_PROMOTION_INTERVAL_SECONDS)},
    },
    "queue-purge-finished": {
        "task": "queueing.tasks.purge_finished_queues",
        "schedule": 24 * 60 * 60.0,
    },
    "bookings-expire-overdue": {
        "task": "bookings.tasks.expire_overdue_bookings",
        "schedule": float(BOOKING_EXPIRY_INTERVAL_SECONDS),
        "options": {"expires": float(BOOKING_EXPIRY_INTERVAL_SECONDS)},
    },
    "checkout-settle-due-refunds": {
        "task": "checkout.tasks.settle_due_refunds",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
}

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
