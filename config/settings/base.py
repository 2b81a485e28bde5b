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
    "axes",
    "accounts",
    "concerts",
    "queueing",
    "bookings",
    "payments",
    "checkout",
    "outbox",
    "reports",
    "waitlist",
]

MIDDLEWARE = [
    # First: a database or Redis outage anywhere below answers 503, an oversized API body
    # 413, both in the contract's JSON on /api/ (config.middleware).
    "config.middleware.EdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # The rush's hot routes skip the rest of this stack (see FAST_API_ROUTES below).
    "config.fastapi.FastApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: the lockout page
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
# django-axes first: it refuses a locked-out account before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "concerts:home"
LOGOUT_REDIRECT_URL = "concerts:home"

OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_RESEND_COOLDOWN_SECONDS = env.int("OTP_RESEND_COOLDOWN_SECONDS", default=60)
# Wrong sign-up codes per address over a window that signing up again does not reset
# (OTP_MAX_ATTEMPTS is per sign-up), so re-sign-ups cannot buy fresh guesses.
OTP_MAX_ATTEMPTS_PER_WINDOW = env.int("OTP_MAX_ATTEMPTS_PER_WINDOW", default=10)
OTP_GUESS_WINDOW_SECONDS = env.int("OTP_GUESS_WINDOW_SECONDS", default=24 * 60 * 60)
# Account recovery: password-reset links (Django's token generator) and email-change
# links (Django's signing) stay valid this long; one email per address per cooldown.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
EMAIL_CHANGE_TIMEOUT_SECONDS = env.int("EMAIL_CHANGE_TIMEOUT_SECONDS", default=24 * 60 * 60)
ACCOUNT_EMAIL_COOLDOWN_SECONDS = env.int("ACCOUNT_EMAIL_COOLDOWN_SECONDS", default=60)

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
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],  # size and depth limits
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

# The lean hot path (config.fastapi): these routes answer a valid token with well-formed
# input from a plain view, before sessions, CSRF, messages and DRF; any other request
# (errors, HEAD, a session instead of a token) goes on to the DRF view of the same URL.
FAST_API_ROUTES = {
    "/api/v1/queue/status": ("GET", "queueing.apis.queue_status_fast"),
    "/api/v1/queue/join": ("POST", "queueing.apis.queue_join_fast"),
    "/api/v1/booking": ("POST", "bookings.apis.booking_create_fast"),
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

# --- The edge: client address, request limits, login lockout, outages -------------------
# Proxies whose X-Forwarded-For we believe (IPs or CIDRs, comma-separated). Default: none,
# so the client is REMOTE_ADDR and a forged header changes nothing. Behind a load balancer
# list its addresses; config.throttles.client_ip walks the header right to left.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Largest request body Django reads (API JSON bodies and forms; file uploads aside): the
# API answers 413 `payload_too_large` above it. API bodies are a few hundred bytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# Deepest JSON nesting the API parses (config.api.json_body): deeper is 400 `invalid`
# before json.loads can recurse.
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)
# Seconds a client is told to wait (Retry-After) when PostgreSQL or Redis is unreachable.
SERVICE_UNAVAILABLE_RETRY_AFTER = env.int("SERVICE_UNAVAILABLE_RETRY_AFTER", default=5)
# Login lockout (django-axes) on the API, the log-in page and the admin: after
# AXES_FAILURE_LIMIT wrong passwords for one account, or from one client address, log-ins
# are refused (429 `locked_out`) for AXES_COOLOFF_MINUTES; each further failure while
# locked restarts the cool-off (the backoff). Attempts are rows (admin: "Access attempts").
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.throttles.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

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
# Admission follows stock: each fan admitted who has not held seats yet counts for this
# many of the seats left (0: MAX_TICKETS_PER_BOOKING, what one booking may take), so nobody
# is admitted to find nothing. Lower it (e.g. 2) to admit faster at the end of a sale.
QUEUE_SEATS_PER_ADMISSION = env.int("QUEUE_SEATS_PER_ADMISSION", default=0)
# Proof of work at join (queueing/challenge.py, docs/challenge.md): the most attempts a fan's
# browser may need (0: off), unless staff set it per concert; and how long a challenge lives.
QUEUE_CHALLENGE_MAXNUMBER = env.int("QUEUE_CHALLENGE_MAXNUMBER", default=0)
QUEUE_CHALLENGE_SECONDS = env.int("QUEUE_CHALLENGE_SECONDS", default=300)
BOOKING_HOLD_SECONDS = env.int("BOOKING_HOLD_SECONDS", default=600)
BOOKING_EXPIRY_INTERVAL_SECONDS = env.int("BOOKING_EXPIRY_INTERVAL_SECONDS", default=60)
MAX_TICKETS_PER_BOOKING = env.int("MAX_TICKETS_PER_BOOKING", default=6)
MAX_TICKETS_PER_FAN = env.int("MAX_TICKETS_PER_FAN", default=6)
# Sold-out waiting list: how long an offer keeps its seats, how often beat lapses overdue
# offers and offers free seats (returned seats are also offered at once, via the outbox).
WAITLIST_OFFER_SECONDS = env.int("WAITLIST_OFFER_SECONDS", default=900)
WAITLIST_SWEEP_INTERVAL_SECONDS = env.int("WAITLIST_SWEEP_INTERVAL_SECONDS", default=5)

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
else:
    # Redis broker: an unacknowledged task (acks_late) whose worker vanished is delivered
    # again after this long: above CELERY_TASK_TIME_LIMIT and the longest retry countdown
    # (600 s, checkout.tasks). Raise it with any longer countdown or ETA.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1200}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat outlive a broker restart: reconnect forever instead of exiting (the sale
# stops without them), and on connection loss cancel the running tasks so their messages,
# still unacknowledged, are delivered again (every task is idempotent) instead of failing
# to acknowledge on a dead connection. tests/faults/test_worker_restart.py restarts Redis.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
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
    "waitlist-sweep": {
        "task": "waitlist.tasks.waitlist_sweep",
        "schedule": float(WAITLIST_SWEEP_INTERVAL_SECONDS),
        "options": {"expires": float(WAITLIST_SWEEP_INTERVAL_SECONDS)},
    },
    "checkout-settle-due-refunds": {
        "task": "checkout.tasks.settle_due_refunds",
        "schedule": 300.0,
        "options": {"expires": 300.0},
    },
}

# --- Outbox: side effects that must happen (emails, slot releases), see outbox/services.py
# Beat delivers every due message this often (the safety net behind the immediate dispatch).
OUTBOX_DRAIN_INTERVAL_SECONDS = env.int("OUTBOX_DRAIN_INTERVAL_SECONDS", default=5)
# A claimed message is retried after this long if its worker died mid-delivery.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
# Failed deliveries back off exponentially (1 s, 2 s, 4 s ...) up to this, and stop after
# OUTBOX_MAX_ATTEMPTS (status failed: the admin's "retry now" puts them back).
OUTBOX_RETRY_MAX_SECONDS = env.int("OUTBOX_RETRY_MAX_SECONDS", default=900)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=30)
CELERY_BEAT_SCHEDULE["outbox-drain"] = {
    "task": "outbox.tasks.outbox_drain",
    "schedule": float(OUTBOX_DRAIN_INTERVAL_SECONDS),
    "options": {"expires": float(OUTBOX_DRAIN_INTERVAL_SECONDS)},
}

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
