"""Fuzz the live API against its own OpenAPI schema: schemathesis `--checks all`, 0 failures.

    python .ci/schemathesis.py                  # `make test-schema`; CI runs it too
    python .ci/schemathesis.py --database-url postgres://postgres@127.0.0.1:5432/mydb \\
        --redis-url redis://127.0.0.1:6379/9 --port 8511 --max-examples 25

What it does, and undoes at exit (even on Ctrl-C): (re)creates its own PostgreSQL database,
migrates, seeds the demo data (published concerts, a staff user), collects static files,
starts gunicorn with the production settings (DEBUG off, fake payment provider allowed,
throttles and the log-in lockout raised so that the fuzzer meets the API, not the
limiter), mints a staff JWT and runs schemathesis with every check. Exit code: schemathesis's
(non-zero on any failure). It flushes only its own Redis DB number and drops its database.

No check is left out (EXCLUDED_CHECKS is empty). .ci/schemathesis.toml widens one check
for four operations, each with its reason; .ci/schemathesis_hooks.py draws real phone
numbers for `format: phone`. See docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
STARTUP_TIMEOUT = 60.0
# Checks that do not apply to this API, name -> reason (passed as --exclude-checks; none).
EXCLUDED_CHECKS: dict[str, str] = {}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/boxoffice_schema_ci"
        ),
        help="PostgreSQL database to create, use and drop",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10"),
        help="a Redis DB of its own (flushed before and after)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("SCHEMA_PORT", "8510")))
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="schemathesis concurrent workers")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    return parser.parse_args()


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        PAYMENT_PROVIDER="fake",
        PAYMENT_PROVIDER_FAKE_ALLOWED="1",
        SECURE_SSL_REDIRECT="0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        # The fuzzer sends thousands of requests from one address in a few minutes.
        THROTTLE_ANON="100000/min",
        THROTTLE_USER="100000/min",
        THROTTLE_AUTH="100000/min",
        THROTTLE_OTP="100000/min",
        AXES_FAILURE_LIMIT="100000",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *argv: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own argv)
        [PYTHON, "manage.py", *argv],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return result.stdout


def recreate_database(database_url: str, *, drop_only: bool = False) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{name}"')


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def mint_staff_token(env: dict[str, str]) -> str:
    code = (
        "from django.contrib.auth import get_user_model;"
        "from rest_framework_simplejwt.tokens import RefreshToken;"
        "from concerts.management.commands.seed_demo import STAFF_EMAIL;"
        "print(RefreshToken.for_user(get_user_model().objects.get(email=STAFF_EMAIL))"
        ".access_token)"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1]


def wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer {url} in {STARTUP_TIMEOUT:.0f} s")


def main() -> int:
    args = parse_args()
    env = server_env(args)
    base = f"http://127.0.0.1:{args.port}"
    server: subprocess.Popen | None = None
    started = time.monotonic()
    try:
        recreate_database(args.database_url)
        flush_redis(args.redis_url)
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        manage(env, "collectstatic", "--noinput")
        token = mint_staff_token(env)
        server = subprocess.Popen(  # noqa: S603 (our own argv)
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{args.port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        wait_until_up(f"{base}/api/v1/schema/", server)
        command = [
            str(Path(PYTHON).with_name("schemathesis")),
            "run", f"{base}/api/v1/schema/",
            "--checks", "all",
            "--header", f"Authorization: Bearer {token}",
            "--max-examples", str(args.max_examples),
            "--seed", str(args.seed),
            "--workers", str(args.workers),
            "--request-timeout", "10",
            "--suppress-health-check", "all",
        ]  # fmt: skip
        command[1:1] = ["--config-file", str(HERE / "schemathesis.toml")]
        for check in EXCLUDED_CHECKS:
            command += ["--exclude-checks", check]
        print("schemathesis:", " ".join(c if "Bearer" not in c else "<token>" for c in command))
        hooks = {"SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py")}
        # In a temp dir: schemathesis leaves its cache (.schemathesis/) in its working dir.
        with tempfile.TemporaryDirectory(prefix="schemathesis-") as workdir:
            result = subprocess.run(  # noqa: S603
                command, cwd=workdir, env={**env, **hooks}, check=False
            )
        print(f"schemathesis run took {time.monotonic() - started:.0f} s")
        return result.returncode
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        flush_redis(args.redis_url)
        if not args.keep_db:
            recreate_database(args.database_url, drop_only=True)


if __name__ == "__main__":
    sys.exit(main())
