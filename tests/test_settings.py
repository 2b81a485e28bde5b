"""Setting modules: loading them does nothing but read, and production refuses unsafe values.

Each case loads the settings in a fresh interpreter with only the variables it names.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings

from config.embedded_redis import free_port, is_answering

# get_random_secret_key()'s shape: 50 characters from a 50-character alphabet.
GOOD_KEY = "-c4@&j+i1lkz_h1%t49qe(xc)jt^z*q@bfv#8b2c(ao%2y&zu#"

PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k, None) for k in ('SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', 'DEBUG', "
    "'REDIS_URL', 'STORAGES')}))"
)

# Loading settings must not start a process or create a folder: make both fail loudly.
NO_SIDE_EFFECTS_PROBE = (
    "import os, pathlib, subprocess\n"
    "def refuse(*args, **kwargs): raise AssertionError(f'side effect: {args}')\n"
    "subprocess.Popen.__init__ = refuse\n"
    "pathlib.Path.mkdir = refuse\n"
    "os.mkdir = os.makedirs = os.fork = os.execv = refuse\n" + PROBE
)

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "tickets.example.com",
    "PAYMENT_PROVIDER_FAKE_ALLOWED": "1",
}


def run_settings(probe: str = PROBE, **env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "REDIS_URL": settings.REDIS_URL,  # a test that unsets it passes REDIS_URL=""
        "DATABASE_URL": "sqlite:///:memory:",
        **env,
    }
    environment = {key: value for key, value in environment.items() if value != ""}
    return subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def loaded(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_refused(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for word in words:
        assert word in result.stderr


# --- local: the development default ---------------------------------------------------------


def test_local_settings_start_no_redis_and_create_no_folder():
    port = free_port()

    values = loaded(
        run_settings(NO_SIDE_EFFECTS_PROBE, REDIS_URL="", EMBEDDED_REDIS_PORT=str(port))
    )

    assert values["DEBUG"] is True
    assert values["REDIS_URL"] == f"redis://127.0.0.1:{port}/0"
    assert not is_answering(port)


@pytest.mark.parametrize("module", ["config.settings.test", "config.settings.production"])
def test_test_and_production_settings_have_no_side_effects(module):
    loaded(run_settings(NO_SIDE_EFFECTS_PROBE, **{**PRODUCTION, "DJANGO_SETTINGS_MODULE": module}))


def test_local_with_debug_off_gets_the_production_refusals():
    result = run_settings(DEBUG="0", SECRET_KEY=settings.DEFAULT_SECRET_KEY)

    assert_refused(result, "SECRET_KEY", "ALLOWED_HOSTS")


def test_local_with_debug_off_and_proper_settings_is_hardened():
    values = loaded(
        run_settings(**{**PRODUCTION, "DJANGO_SETTINGS_MODULE": "config.settings.local"}, DEBUG="0")
    )

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True


def test_the_old_single_module_name_is_refused_with_the_new_names():
    result = run_settings(DJANGO_SETTINGS_MODULE="config.settings")

    assert_refused(result, "config.settings.local", "config.settings.production")


# --- production: refusals ---------------------------------------------------------------


def test_production_with_proper_settings_sets_secure_cookies_and_hsts():
    values = loaded(run_settings(**PRODUCTION))

    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_production_refuses_debug_on():
    assert_refused(run_settings(**PRODUCTION, DEBUG="1"), "DEBUG is on")


def test_production_refuses_the_default_secret_key():
    result = run_settings(**{**PRODUCTION, "SECRET_KEY": settings.DEFAULT_SECRET_KEY})

    assert_refused(result, "SECRET_KEY is the development key")


@pytest.mark.parametrize(
    ("secret_key", "reason"),
    [
        ("k" * 32, "shorter than 50"),
        ("a-long-random-production-secret-key-0123456789", "shorter than 50"),
        ("ab" * 40, "fewer than 10 distinct"),
        ("0123456789abcdef" * 4, "repeats a shorter pattern"),
        ("django-insecure-" + GOOD_KEY, "development key"),
    ],
)
def test_production_refuses_low_entropy_secret_keys(secret_key, reason):
    result = run_settings(**{**PRODUCTION, "SECRET_KEY": secret_key})

    assert_refused(result, "SECRET_KEY", reason)


def test_production_needs_allowed_hosts():
    assert_refused(run_settings(**{**PRODUCTION, "ALLOWED_HOSTS": ""}), "ALLOWED_HOSTS must be set")


@pytest.mark.parametrize("hosts", ["*", "tickets.example.com,*", "*.example.com"])
def test_production_refuses_wildcard_hosts(hosts):
    result = run_settings(**{**PRODUCTION, "ALLOWED_HOSTS": hosts})

    assert_refused(result, "ALLOWED_HOSTS contains a wildcard")


def test_production_refuses_to_start_without_redis_url_and_starts_no_redis():
    port = free_port()

    result = run_settings(**PRODUCTION, REDIS_URL="", EMBEDDED_REDIS_PORT=str(port))

    assert_refused(result, "REDIS_URL must be set")
    assert not is_answering(port)


STRIPE = {
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}


@pytest.mark.parametrize("missing", sorted(STRIPE))
def test_production_refuses_stripe_without_its_keys_or_webhook_secret(missing):
    result = run_settings(**PRODUCTION, PAYMENT_PROVIDER="stripe", **{**STRIPE, missing: ""})

    assert_refused(result, f"PAYMENT_PROVIDER=stripe needs {missing}")


def test_production_starts_with_stripe_fully_configured():
    loaded(run_settings(**PRODUCTION, PAYMENT_PROVIDER="stripe", **STRIPE))


def test_production_lists_every_problem_at_once():
    result = run_settings(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        REDIS_URL="",
        ALLOWED_HOSTS="*",
        PAYMENT_PROVIDER="stripe",
    )

    assert_refused(result, "SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL", "STRIPE_WEBHOOK_SECRET")
