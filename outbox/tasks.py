"""Celery tasks of the outbox: thin, idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

from outbox import services

logger = logging.getLogger(__name__)


@shared_task(name="outbox.tasks.outbox_deliver", ignore_result=True)
def outbox_deliver(*, message_id: int) -> bool:
    """Deliver one message right after its cause committed (the drain is the safety net)."""
    return services.outbox_deliver(message_id=message_id)


@shared_task(name="outbox.tasks.outbox_drain", ignore_result=True)
def outbox_drain() -> int:
    """Beat, every OUTBOX_DRAIN_INTERVAL_SECONDS: deliver every message that is due."""
    delivered = services.outbox_drain()
    if delivered:
        logger.info("outbox: delivered %d due messages", delivered)
    return delivered
