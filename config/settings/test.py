"""pytest (and mypy's Django plugin): base.py with what a test run needs, and nothing started.

The test session's Redis is started by tests/environment.py, which sets REDIS_URL before
these settings load. pytest-django runs every test with DEBUG off, whatever is set here.
"""

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False

# No collectstatic before a test run.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tasks run in the test's own process unless a test asks for a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)

# The fake provider refuses to exist with DEBUG off (see payments.providers.fake_provider);
# tests run with DEBUG off and pay with it. Tests of that refusal turn this off again.
PAYMENT_PROVIDER_FAKE_ALLOWED = env.bool("PAYMENT_PROVIDER_FAKE_ALLOWED", default=True)

# Static files come from the app and static/ folders (finders); there is no collectstatic
# target to serve, so WhiteNoise has no root to look at (and nothing to warn about).
STATIC_ROOT = None
