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
from queueing.draw import ALGORITHM
from queueing.models import Draw, QueueEntry
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


# --- The draw (queueing.draw) ------------------------------------------------------------
@dataclass(frozen=True)
class DrawPublication:
    """What anyone may see of a concert's draw: the seed and the order only once drawn."""

    concert_id: int
    commitment: str | None
    seed: str | None
    drawn_at: datetime | None
    entries: list[str]
    algorithm: str = ALGORITHM

    def as_json(self) -> dict:
        return {
            "concert_id": self.concert_id,
            "algorithm": self.algorithm,
            "commitment": self.commitment,
            "seed": self.seed,
            "drawn_at": self.drawn_at.isoformat() if self.drawn_at else None,
            "entries": self.entries,
        }


def draw_publication(*, concert_id: int) -> DrawPublication:
    """The public face of the draw (one query). No commitment yet: all empty."""
    row = Draw.objects.filter(concert_id=concert_id).first()
    if row is None:
        return DrawPublication(
            concert_id=concert_id, commitment=None, seed=None, drawn_at=None, entries=[]
        )
    drawn = row.drawn_at is not None
    return DrawPublication(
        concert_id=concert_id,
        commitment=row.commitment,
        seed=row.seed if drawn else None,
        drawn_at=row.drawn_at,
        entries=list(row.entries) if drawn else [],
    )


def draw_commitment(*, concert_id: int) -> str | None:
    """The published commitment of the concert's draw, None before the pre-queue opens."""
    return Draw.objects.filter(concert_id=concert_id).values_list("commitment", flat=True).first()


@dataclass(frozen=True)
class DrawReceipt:
    """A fan's own view of the draw: their entry id and, once drawn, their place in it."""

    concert_id: int
    entry_id: str | None
    commitment: str | None
    drawn: bool
    draw_rank: int | None  # 1-based place in the published order

    def as_json(self) -> dict:
        return {
            "concert_id": self.concert_id,
            "entry_id": self.entry_id,
            "commitment": self.commitment,
            "drawn": self.drawn,
            "draw_rank": self.draw_rank,
        }


def draw_receipt(*, user_id: int, concert_id: int) -> DrawReceipt:
    """The fan's receipt (two queries); entry_id None if they never joined the pre-queue."""
    entry_id = (
        QueueEntry.objects.filter(user_id=user_id, concert_id=concert_id)
        .values_list("entry_id", flat=True)
        .first()
    )
    publication = draw_publication(concert_id=concert_id)
    drawn = publication.drawn_at is not None
    rank = None
    if drawn and entry_id is not None and entry_id in publication.entries:
        rank = publication.entries.index(entry_id) + 1
    return DrawReceipt(
        concert_id=concert_id,
        entry_id=entry_id,
        commitment=publication.commitment,
        drawn=drawn,
        draw_rank=rank,
    )


def draw_summary(concert_id: int) -> dict | None:
    """The draw for the staff report: None if the concert never had one."""
    row = Draw.objects.filter(concert_id=concert_id).first()
    if row is None:
        return None
    drawn = row.drawn_at is not None
    return {
        "commitment": row.commitment,
        "seed": row.seed if drawn else None,
        "drawn_at": row.drawn_at,
        "entries": len(row.entries),
        # the pre-queue at the draw; before it, the fans now waiting in it
        "prequeue_size": len(row.entries)
        if drawn
        else QueueEntry.objects.filter(
            concert_id=concert_id,
            entry_id__isnull=False,
            sequence__isnull=True,
            status=QueueEntry.Status.WAITING,
        ).count(),
    }
