"""A developer's machine: `make run`, `make dev` and any manage.py command by default.

DEBUG is on unless DEBUG=0; the database is SQLite in var/ and Redis is the embedded server
`make run` starts on 127.0.0.1:6390 (both from base.py, both overridable by DATABASE_URL
and REDIS_URL). With DEBUG=0 this module is production.py: the same refusals and HTTPS
hardening, so a machine that turns DEBUG off gets nothing less safe than a deploy.
"""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, STORAGES, env

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    # Static files straight from the app folders, no collectstatic; the browsable API.
    STORAGES = {
        **STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    REST_FRAMEWORK = {
        **REST_FRAMEWORK,
        "DEFAULT_RENDERER_CLASSES": [
            *REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
            "rest_framework.renderers.BrowsableAPIRenderer",
        ],
    }
else:
    from .production import *  # noqa: F403
