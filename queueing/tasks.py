"""Celery tasks: thin wrappers around the turnstile service."""

import logging

from celery import shared_task

from queueing import selectors, services

logger = logging.getLogger(__name__)


@shared_task(name="queueing.tasks.admit_concert", ignore_result=True)
def admit_concert(concert_id: int) -> int:
    """One turnstile tick for one concert (after a slot is released, or by the beat task)."""
    return len(services.queue_admit_next(concert_id=concert_id))


@shared_task(name="queueing.tasks.admit_all_concerts", ignore_result=True)
def admit_all_concerts() -> int:
    """Beat, every QUEUE_PROMOTION_INTERVAL_SECONDS: one tick for every concert on sale.

    Each tick is one Lua script per concert, so overlapping runs are harmless.
    """
    admitted = 0
    for concert_id in selectors.concerts_with_open_sale().values_list("pk", flat=True):
        try:
            admitted += len(services.queue_admit_next(concert_id=concert_id))
        except Exception:  # one broken concert must not stop the others' turnstiles
            logger.exception("admission tick failed for concert %s", concert_id)
    return admitted


@shared_task(name="queueing.tasks.purge_finished_queues", ignore_result=True)
def purge_finished_queues() -> int:
    """Beat, daily: drop the Redis data of concerts that have been played."""
    return len(services.queue_purge_finished())
