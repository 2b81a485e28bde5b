"""redis-py clients, one per process each, on shared connection pools (the cache has its own).

- `get_redis()`: REDIS_URL, for OTPs, locks and the health check.
- `get_queue_redis()`: the waiting room's Redis, QUEUE_REDIS_URL (default: REDIS_URL). With
  QUEUE_REDIS_CLUSTER=1 it is a `RedisCluster` client: QUEUE_REDIS_URL then names any one
  node of the cluster and the client discovers the others (CLUSTER SLOTS) and routes each
  command by its keys' hash slot.
"""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings
from redis.cluster import RedisCluster

QueueRedis = redis.Redis | RedisCluster


@cache
def get_redis() -> redis.Redis:
    """A client on a shared connection pool; strings come back decoded."""
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True, health_check_interval=30)


@cache
def get_queue_redis() -> QueueRedis:
    """The waiting room's client: the shared one, a client on its own URL, or a cluster client."""
    if settings.QUEUE_REDIS_CLUSTER:
        return RedisCluster.from_url(
            settings.QUEUE_REDIS_URL, decode_responses=True, health_check_interval=30
        )
    if settings.QUEUE_REDIS_URL == settings.REDIS_URL:
        return get_redis()
    return redis.Redis.from_url(
        settings.QUEUE_REDIS_URL, decode_responses=True, health_check_interval=30
    )


def flush_queue_redis() -> None:
    """Empty the waiting room's Redis (tests only): every primary's DB on a cluster."""
    client = get_queue_redis()
    if isinstance(client, RedisCluster):
        client.flushdb(target_nodes=RedisCluster.PRIMARIES)
    else:
        client.flushdb()


# --- The admission tick's heartbeat: written by queueing's beat task, read by /healthz ------
def _admission_tick_key() -> str:
    return f"{settings.QUEUE_KEY_PREFIX}:admission-tick"


def record_admission_tick(*, now_ms: int, open_sales: int, next_sale_ms: int | None) -> None:
    """When the tick last ran, how many sales it served and when the next one opens."""
    get_queue_redis().hset(
        _admission_tick_key(),
        mapping={"at_ms": now_ms, "open_sales": open_sales, "next_sale_ms": next_sale_ms or -1},
    )


def last_admission_tick() -> dict[str, int] | None:
    """{at_ms, open_sales, next_sale_ms (-1: none)} of the last tick, None if none recorded."""
    recorded = get_queue_redis().hgetall(_admission_tick_key())
    return {name: int(value) for name, value in recorded.items()} if recorded else None
