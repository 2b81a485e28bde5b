"""Production: DEBUG off, HTTPS hardening on, and no start with an unsafe configuration.

Deploys set DJANGO_SETTINGS_MODULE=config.settings.production. Every refusal is an
ImproperlyConfigured raised while the settings load, so gunicorn, the Celery worker and
beat (and any manage.py command) stop at start-up with the full list of problems instead
of serving with a guessable key, a wildcard host, a Stripe setup that cannot take money,
or a Redis URL that points at nothing.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    DEBUG,
    DEFAULT_SECRET_KEY,
    PAYMENT_PROVIDER,
    PAYMENT_PROVIDER_FAKE_ALLOWED,
    SECRET_KEY,
    STRIPE_PUBLISHABLE_KEY,
    STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET,
    env,
)

# Django's own deploy check (security.W009) asks for as much; we refuse instead of warning.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT_CHARACTERS = 10


def secret_key_problem(key: str) -> str | None:
    """Why `key` is unfit to sign sessions, password resets and JWTs, or None."""
    if key == DEFAULT_SECRET_KEY or key.startswith("django-insecure"):
        return "SECRET_KEY is the development key: set a long random value."
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"SECRET_KEY is shorter than {SECRET_KEY_MIN_LENGTH} characters."
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT_CHARACTERS:
        return (
            f"SECRET_KEY uses fewer than {SECRET_KEY_MIN_DISTINCT_CHARACTERS} distinct "
            "characters: it is not random."
        )
    # "abcd" * 13, or any key that is a shorter chunk repeated: far less entropy than length.
    if any(key[period:] == key[:-period] for period in range(1, len(key) // 2 + 1)):
        return "SECRET_KEY repeats a shorter pattern: it is not random."
    return None


def production_problems() -> list[str]:
    problems = []
    if DEBUG:
        problems.append(
            "DEBUG is on: config.settings.production always runs with DEBUG off "
            "(unset DEBUG, or use config.settings.local on a development machine)."
        )
    if key_problem := secret_key_problem(SECRET_KEY):
        problems.append(key_problem)
    if not env.list("ALLOWED_HOSTS", default=[]):
        problems.append("ALLOWED_HOSTS must be set (comma-separated host names).")
    elif any("*" in host or host.strip(".") == "" for host in ALLOWED_HOSTS):
        problems.append(
            "ALLOWED_HOSTS contains a wildcard: list the site's host names "
            "(forged Host headers end up in password-reset and ticket links)."
        )
    if not env.str("REDIS_URL", default=""):
        problems.append(
            "REDIS_URL must be set: the waiting room, cache, OTPs and Celery broker live there "
            "(the embedded Redis is for `make run` only)."
        )
    if PAYMENT_PROVIDER == "stripe":
        missing = [
            name
            for name, value in (
                ("STRIPE_SECRET_KEY", STRIPE_SECRET_KEY),
                ("STRIPE_PUBLISHABLE_KEY", STRIPE_PUBLISHABLE_KEY),
                ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
            )
            if not value
        ]
        if missing:
            problems.append(f"PAYMENT_PROVIDER=stripe needs {', '.join(missing)}.")
    elif not PAYMENT_PROVIDER_FAKE_ALLOWED:
        problems.append(
            "The fake payment provider takes no money: set PAYMENT_PROVIDER=stripe in "
            "production (or PAYMENT_PROVIDER_FAKE_ALLOWED=1 for a staging site)."
        )
    return problems


if _problems := production_problems():
    raise ImproperlyConfigured(
        "Refusing to start with config.settings.production:\n- " + "\n- ".join(_problems)
    )

# --- HTTPS behind a TLS-terminating proxy ----------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REFERRER_POLICY = "same-origin"
