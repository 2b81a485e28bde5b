"""The benchmark's baselines: what a request costs before any of our code runs.

Mounted at /bench/ only when BENCH_ROUTES is on (bench/urls.py, config/urls.py). They go
through the full middleware stack like every route, but skip DRF, auth and the database.
"""

from django.http import HttpRequest, JsonResponse

from config.redis import get_redis

BASELINE_KEY = "bench:baseline"


def minimal(request: HttpRequest) -> JsonResponse:
    """A Django JSON view with no auth and no I/O: the ceiling for any route."""
    return JsonResponse({"ok": True})


def redis_get(request: HttpRequest) -> JsonResponse:
    """One Redis GET on the shared client: the floor for a route answered from Redis."""
    return JsonResponse({"value": get_redis().get(BASELINE_KEY)})
