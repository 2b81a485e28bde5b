"""One redis-py client per process for the queue, OTPs and locks (the cache has its own)."""

from functools import cache

import redis
from django.conf import settings


@cache
def get_redis() -> redis.Redis:
    """A client on a shared connection pool; strings come back decoded."""
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True, health_check_interval=30)
