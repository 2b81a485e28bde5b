"""Real processes for the tests that need them, started and stopped in one place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The URL of the database this test runs on, for a subprocess to use the same one."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def celery_worker_with_beat(tmp_path: Path, *, name: str, env: dict[str, str]) -> Iterator[Path]:
    """`celery worker --beat` on the test database, sending email to files; yields the mail
    folder. Its whole process group is stopped afterwards, and its log printed (pytest shows
    it when the test failed). `env` adds to or overrides the defaults below."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    process_env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "DEBUG": "1",
        **env,
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603
            [
                *(sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"),
                *("--loglevel", "INFO", "--concurrency", "1"),
                *("--hostname", f"{name}-{os.getpid()}@%h"),
                *("--schedule", str(tmp_path / "beat-schedule")),
                *("--without-gossip", "--without-mingle"),
            ],
            cwd=BASE_DIR,
            env=process_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole, children included
        )
        try:
            yield mail_dir
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    print(log_path.read_text()[-6000:])
