"""A production-like stack on loopback for the benchmark, and its data prepared in bulk.

DEBUG off, gunicorn with WEB_CONCURRENCY sync workers (access log on, as in the Procfile),
a Celery worker and beat, PostgreSQL from DATABASE_URL (a database of its own, created and
dropped here), Redis from REDIS_URL (a DB number of its own: it is flushed), the fake
payment provider. Every process starts in its own process group and is stopped at the end,
on an exception, or on SIGTERM/SIGINT.
"""

from __future__ import annotations

import atexit
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DB_PREFIX = "boxoffice_bench"


class BenchSetupError(SystemExit):
    """A refusal with a message for the person running the bench (exit status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bench: {message}")
        self.code = 2


@dataclass
class StackConfig:
    database_url: str
    redis_url: str
    port: int
    web_concurrency: int
    access_log: bool = True
    # The rush's knobs, short so that a quick run sees holds expire and slots turn over.
    queue_max_active: int = 100
    queue_slot_seconds: int = 60
    booking_hold_seconds: int = 20
    throttle_rate: str = "1000000/min"
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The environment of every process of the stack (and of this one, for setup)."""
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "PAYMENT_PROVIDER": "fake",
            "PAYMENT_PROVIDER_FAKE_ALLOWED": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "BENCH_ROUTES": "1",
            "JWT_ACCESS_MINUTES": "600",  # minted before the run, must outlive it
            "THROTTLE_USER": self.throttle_rate,
            "THROTTLE_ANON": self.throttle_rate,
            "QUEUE_PROMOTION_INTERVAL_SECONDS": "1",
            "QUEUE_MAX_ACTIVE_USERS": str(self.queue_max_active),
            "QUEUE_SLOT_SECONDS": str(self.queue_slot_seconds),
            # Admission follows stock: each admitted fan who has not held yet reserves 1 of
            # the seats left (at least one for everyone let in; the rush's fans ask for 1 to
            # 4 and take fewer when fewer are left). Their most (4) stalls the tail: fans
            # admitted who are slow to choose keep their reserve for a whole slot
            # (docs/fair-sale.md has the measured trade).
            "QUEUE_SEATS_PER_ADMISSION": "1",
            "BOOKING_HOLD_SECONDS": str(self.booking_hold_seconds),
            "BOOKING_EXPIRY_INTERVAL_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
            "WEB_CONCURRENCY": str(self.web_concurrency),
            **self.extra_env,
        }


def check_environment(database_url: str | None, redis_url: str | None) -> None:
    """Refuse what would not measure production: SQLite, or no Redis of our own."""
    if not database_url:
        raise BenchSetupError(
            "DATABASE_URL is not set. The benchmark measures the production stack and needs "
            "PostgreSQL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/boxoffice_bench"
        )
    parsed = urlparse(database_url)
    if parsed.scheme.startswith("sqlite"):
        raise BenchSetupError(
            "refusing SQLite: its single writer makes the figures meaningless. "
            "Set DATABASE_URL to a PostgreSQL database (it is created and dropped)."
        )
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise BenchSetupError(f"DATABASE_URL must be PostgreSQL, not {parsed.scheme!r}.")
    name = parsed.path.lstrip("/")
    if not name.startswith(DB_PREFIX):
        raise BenchSetupError(
            f"the bench drops and recreates its database: its name must start with "
            f"{DB_PREFIX!r} (got {name!r})."
        )
    if not redis_url:
        raise BenchSetupError(
            "REDIS_URL is not set: give the bench a Redis DB number of its own "
            "(it is flushed), e.g. REDIS_URL=redis://127.0.0.1:6379/11"
        )


def recreate_database(database_url: str) -> None:
    """Drop and create the bench's own database (its name was checked above)."""
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    import psycopg

    parsed = urlparse(database_url)
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}" WITH (FORCE)')


def flush_redis(redis_url: str) -> None:
    """FLUSHDB on the bench's own DB number only."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()


class Stack:
    """gunicorn + Celery worker + Celery beat, each in its own process group."""

    def __init__(self, config: StackConfig, env: dict[str, str], workdir: Path) -> None:
        self.config = config
        self.env = {**os.environ, **env, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.workdir = workdir
        self.processes: dict[str, subprocess.Popen] = {}
        self._stopping = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.config.port}"

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, stopped as a whole
        )

    def start_web(self, *, access_log: bool | None = None) -> None:
        access_log = self.config.access_log if access_log is None else access_log
        command = [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.config.port}",
            "--workers",
            str(self.config.web_concurrency),
            "--timeout",
            "30",
            "--backlog",
            "4096",
        ]
        if access_log:
            command += ["--access-logfile", str(self.workdir / "access.log")]
        self._spawn("web", command)
        self.wait_for_web()

    def start_celery(self) -> None:
        self._spawn(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "--without-gossip",
                "--without-mingle",
            ],
        )
        self._spawn(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(self.workdir / "celerybeat-schedule"),
            ],
        )

    def wait_for_web(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            web = self.processes["web"]
            if web.poll() is not None:
                raise BenchSetupError(
                    f"gunicorn exited ({web.returncode}); see {self.workdir / 'web.log'}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/bench/minimal", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise BenchSetupError(f"gunicorn did not answer in {timeout:.0f}s")

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        for name in list(self.processes):
            self.stop(name)
        self._stopping = False

    def install_cleanup(self) -> None:
        """Stop the stack however this process ends (normal exit, exception, signal)."""
        atexit.register(self.stop_all)

        def on_signal(signum: int, _frame: object) -> None:
            self.stop_all()
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
