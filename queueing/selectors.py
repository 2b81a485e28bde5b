"""Reads for the waiting room: sale state from the catalog, live counters for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from concerts.models import Concert, TicketCategory
from queueing import redis_queue


def concert_is_sold_out(*, concert_id: int, concert: Concert | None = None) -> bool:
    """True when the concert has categories and none has a seat left (one query, or none
    when `concert` comes from concert_for_queue, annotated with its seat totals).

    A concert with no categories yet is not "sold out": there is nothing to sell out of.
    """
    if concert is not None and hasattr(concert, "seats_available"):
        annotated: Any = concert  # carries with_seat_totals()' annotations
        return annotated.seats_total > 0 and annotated.seats_available <= 0
    totals = TicketCategory.objects.filter(concert_id=concert_id).aggregate(
        categories=Count("id"), available=Sum("available_seats", default=0)
    )
    return totals["categories"] > 0 and totals["available"] <= 0


def concert_for_queue(*, concert_id: int) -> Concert | None:
    """A published concert fans may queue for, or None; annotated with its seat totals so
    the join's sold-out check needs no second query."""
    return Concert.objects.published().with_seat_totals().filter(pk=concert_id).first()


def concerts_with_open_sale() -> QuerySet[Concert]:
    """Concerts whose sale has started and which have not begun: the turnstile's work list."""
    now = timezone.now()
    return Concert.objects.published().filter(sale_starts_at__lte=now, starts_at__gt=now)


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


def queue_overview(*, concert_id: int) -> QueueOverview:
    now_ms = int(timezone.now().timestamp() * 1000)
    snap = redis_queue.snapshot(concert_id, now_ms=now_ms)
    line = snap.waiting + snap.prequeue
    return QueueOverview(
        concert_id=concert_id,
        waiting=snap.waiting,
        prequeue=snap.prequeue,
        active=snap.active,
        admitted_last_minute=snap.admitted_last_minute,
        estimated_wait_at_back_seconds=redis_queue.eta_from_rate(
            line,
            admitted=snap.admitted_in_window,
            oldest_ms=snap.oldest_admission_ms,
            now_ms=now_ms,
        ),
        paused=snap.paused,
        cap=snap.cap_override if snap.cap_override is not None else settings.QUEUE_MAX_ACTIVE_USERS,
        cap_overridden=snap.cap_override is not None,
        prequeue_drawn=snap.shuffled,
        sale_starts_at=datetime.fromtimestamp(snap.sale_starts_ms / 1000, tz=UTC)
        if snap.sale_starts_ms is not None
        else None,
    )
