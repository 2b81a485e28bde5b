"""Celery tasks of the waiting list: thin, call services."""

from __future__ import annotations

import logging

from celery import shared_task

from waitlist import services

logger = logging.getLogger(__name__)


@shared_task
def waitlist_sweep() -> list[int]:
    """Beat: every WAITLIST_SWEEP_INTERVAL_SECONDS, lapse overdue offers and offer free seats."""
    lapsed, offered = services.waitlist_sweep()
    if lapsed or offered:
        logger.info("waiting list: %d offers lapsed, %d made", lapsed, offered)
    return [lapsed, offered]
