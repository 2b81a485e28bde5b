"""Reads for the waiting room: sale state from the catalog, live counters for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from concerts.models import Concert
from concerts.selectors import concerts_in_waiting_room, concerts_on_sale
from queueing import redis_queue
from queueing.state import (
    LineReason,
    LineState,
    datetime_from_ms,
    line_state,
    wait_estimate_seconds,
)


def concerts_with_open_sale() -> QuerySet[Concert]:
    """Published concerts whose sale window is open: the turnstile's work list."""
    return concerts_on_sale(Concert.objects.published(), timezone.now())


def next_sale_starts_ms() -> int | None:
    """When the next published concert's sale opens (epoch ms), None if none is planned."""
    upcoming = Concert.objects.published().filter(sale_starts_at__gt=timezone.now())
    first = upcoming.order_by("sale_starts_at").values_list("sale_starts_at", flat=True).first()
    return int(first.timestamp() * 1000) if first else None


def concerts_with_open_waiting_room() -> QuerySet[Concert]:
    """Published concerts fans may queue for now (pre-queue included): the staff list."""
    return concerts_in_waiting_room(Concert.objects.published(), timezone.now())


@dataclass(frozen=True)
class QueueOverview:
    """What staff see for one concert's waiting room."""

    concert_id: int
    waiting: int
    prequeue: int
    active: int
    admitted_last_minute: int
    estimated_wait_at_back_seconds: int | None
    paused: bool
    cap: int
    cap_overridden: bool
    prequeue_drawn: bool
    sale_starts_at: datetime | None
    line: LineState = LineState.OPEN
    line_reason: LineReason | None = None


def queue_overview(*, concert_id: int) -> QueueOverview:
    now_ms = int(timezone.now().timestamp() * 1000)
    snap = redis_queue.snapshot(concert_id, now_ms=now_ms)
    in_line = snap.waiting + snap.prequeue
    # The fans' rule: no estimate while the line is not moving.
    line, reason = line_state(paused=snap.paused, cap=snap.cap_override, tick_line=snap.tick_line)
    return QueueOverview(
        concert_id=concert_id,
        waiting=snap.waiting,
        prequeue=snap.prequeue,
        active=snap.active,
        admitted_last_minute=snap.admitted_last_minute,
        estimated_wait_at_back_seconds=None
        if line != LineState.OPEN
        else wait_estimate_seconds(
            in_line,
            admitted=snap.admitted_in_window,
            oldest_admission_ms=snap.oldest_admission_ms,
            now_ms=now_ms,
        ),
        paused=snap.paused,
        cap=snap.cap_override if snap.cap_override is not None else settings.QUEUE_MAX_ACTIVE_USERS,
        cap_overridden=snap.cap_override is not None,
        prequeue_drawn=snap.shuffled,
        sale_starts_at=datetime_from_ms(snap.sale_starts_ms),
        line=line,
        line_reason=reason,
    )
