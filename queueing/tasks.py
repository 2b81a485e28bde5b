"""Celery tasks: thin wrappers around the turnstile service."""

import logging
import time

from celery import shared_task

from config.redis import record_admission_tick
from queueing import selectors, services

logger = logging.getLogger(__name__)


@shared_task(name="queueing.tasks.admit_concert", ignore_result=True)
def admit_concert(concert_id: int) -> int:
    """One turnstile tick for one concert (after a slot is released, or by the beat task)."""
    return len(services.queue_admit_next(concert_id=concert_id))


@shared_task(name="queueing.tasks.admit_all_concerts", ignore_result=True)
def admit_all_concerts() -> int:
    """Beat, every QUEUE_PROMOTION_INTERVAL_SECONDS: one tick for every concert on sale.

    Each tick is one Lua script per concert, so overlapping runs are harmless. Records a
    heartbeat that /healthz reads to tell a stalled turnstile (no worker or no beat).
    """
    admitted = 0
    concert_ids = list(selectors.concerts_with_open_sale().values_list("pk", flat=True))
    for concert_id in concert_ids:
        try:
            admitted += len(services.queue_admit_next(concert_id=concert_id))
        except Exception:  # one broken concert must not stop the others' turnstiles
            logger.exception("admission tick failed for concert %s", concert_id)
    # Pre-queues too get their Redis state built (or rebuilt) within a tick, so a status
    # poll rarely finds it missing, and their draw's commitment as soon as they open.
    prequeues = selectors.concerts_with_open_waiting_room().exclude(pk__in=concert_ids)
    for concert_id in prequeues.values_list("pk", flat=True):
        try:
            services.draw_commit(concert_id=concert_id)
            services.queue_rebuild_if_lost(concert_id=concert_id)
        except Exception:
            logger.exception("pre-queue tick failed for concert %s", concert_id)
    record_admission_tick(
        now_ms=int(time.time() * 1000),
        open_sales=len(concert_ids),
        next_sale_ms=selectors.next_sale_starts_ms(),
    )
    return admitted


@shared_task(name="queueing.tasks.rebuild_concert_queue", ignore_result=True)
def rebuild_concert_queue(concert_id: int) -> bool:
    """Restore a concert's line from PostgreSQL if Redis lost it (asked by a status poll)."""
    return services.queue_rebuild_if_lost(concert_id=concert_id)


@shared_task(name="queueing.tasks.purge_finished_queues", ignore_result=True)
def purge_finished_queues() -> int:
    """Beat, daily: drop the Redis data of concerts that have been played."""
    return len(services.queue_purge_finished())
