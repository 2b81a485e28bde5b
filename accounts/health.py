"""/healthz for load balancers and uptime checks: are the database, Redis and the queue up?"""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.redis import get_queue_redis, get_redis

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not ok"; the log keeps the detail
        logger.exception("health check: database unreachable")
        return False


def _redis_ok() -> bool:
    try:
        return bool(get_redis().ping())
    except Exception:
        logger.exception("health check: Redis unreachable")
        return False


def _queue_redis_ok() -> bool:
    """The waiting room's Redis (the same server unless QUEUE_REDIS_URL is set)."""
    try:
        return bool(get_queue_redis().ping())
    except Exception:
        logger.exception("health check: the queue's Redis unreachable")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok", "database": "ok", "redis": "ok", "queue_redis": "ok"}, else 503
    naming what failed."""
    checks = {
        "database": "ok" if _database_ok() else "error",
        "redis": "ok" if _redis_ok() else "error",
        "queue_redis": "ok" if _queue_redis_ok() else "error",
    }
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
