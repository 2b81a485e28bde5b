"""With DEBUG off the project refuses insecure defaults and turns on HTTPS protections."""

import json
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k) for k in ('SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', 'DEBUG')}))"
)


def run_settings(**env: str) -> subprocess.CompletedProcess:
    environment = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "REDIS_URL": settings.REDIS_URL,  # never start an embedded Redis here
        "DATABASE_URL": "sqlite:///:memory:",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_debug_off_refuses_the_default_secret_key():
    result = run_settings(
        DEBUG="0",
        SECRET_KEY=settings.DEFAULT_SECRET_KEY,
        ALLOWED_HOSTS="tickets.example.com",
        PAYMENT_PROVIDER_FAKE_ALLOWED="1",
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_debug_off_needs_allowed_hosts():
    result = run_settings(DEBUG="0", SECRET_KEY="x" * 50, PAYMENT_PROVIDER_FAKE_ALLOWED="1")

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_debug_off_with_proper_settings_sets_secure_cookies_and_hsts():
    result = run_settings(
        DEBUG="0",
        SECRET_KEY="a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="tickets.example.com",
        PAYMENT_PROVIDER_FAKE_ALLOWED="1",
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_SSL_REDIRECT"] is True
