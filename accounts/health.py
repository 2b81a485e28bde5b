"""/healthz for load balancers and uptime checks: are the database, Redis and the queue up,
and is the admission tick (Celery beat + worker) still running?"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.redis import get_queue_redis, get_redis, last_admission_tick

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


def _admission_state() -> str:
    """ "stalled" when the beat's admission tick is older than 3 intervals while a sale is
    open (or the next one has opened since); "ok" otherwise, "unknown" with no tick recorded
    (a fresh Redis before beat's first tick) or Redis unreachable (reported above)."""
    try:
        tick = last_admission_tick()
    except Exception:
        logger.exception("health check: admission heartbeat unreadable")
        return "unknown"
    if tick is None:
        return "unknown"
    now_ms = int(time.time() * 1000)
    if now_ms - tick["at_ms"] <= 3 * settings.QUEUE_PROMOTION_INTERVAL_SECONDS * 1000:
        return "ok"
    sale_open = tick["open_sales"] > 0 or 0 <= tick["next_sale_ms"] <= now_ms
    return "stalled" if sale_open else "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok", "database": "ok", "redis": "ok", "queue_redis": "ok",
    "admission": "ok"}, else 503 naming what failed ("admission": "stalled")."""
    checks = {
        "database": "ok" if _database_ok() else "error",
        "redis": "ok" if _redis_ok() else "error",
        "queue_redis": "ok" if _queue_redis_ok() else "error",
    }
    admission = _admission_state()
    healthy = all(value == "ok" for value in checks.values()) and admission != "stalled"
    checks["admission"] = admission
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
