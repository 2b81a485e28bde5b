"""The waiting room's rules: join, status, leave, the admission turnstile, slots for bookings.

Redis (queueing.redis_queue) holds the live line and decides every race in one Lua script;
QueueEntry rows follow it for the record and for `rebuild_queue`, written on state changes
only (join, admission, expiry, leave, booking), never on a status poll.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from concerts import selectors as concert_selectors
from concerts.models import Concert
from queueing import redis_queue
from queueing.errors import InvalidCap, SaleEnded, SaleNotOpen, SoldOut
from queueing.models import QueueEntry
from queueing.state import QueueState, datetime_from_ms

_BATCH = 500  # ids per UPDATE ... WHERE user_id IN (...), well under SQLite's variable limit


# What a new place resets in an existing QueueEntry (admitted_at... are null on a new row).
_REJOIN_FIELDS = [
    "status",
    "sequence",
    "joined_at",
    "admitted_at",
    "active_until",
    "finished_at",
    "updated_at",
]


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _abandon_ms() -> int:
    return settings.QUEUE_ABANDON_SECONDS * 1000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


def _admit_soon(concert_id: int) -> None:
    """Run the turnstile for this concert right after the current transaction commits."""
    from queueing.tasks import admit_concert  # the task module imports this one

    transaction.on_commit(lambda: admit_concert.delay(concert_id))


def queue_join(*, user_id: int, concert: Concert) -> QueueState:
    """Put a fan in the concert's line, or keep the place they already have.

    Idempotent: joining again (or 50 double-clicks at once) keeps the first place. Before
    sale_starts_at the fan enters the pre-queue (position null), open from
    QUEUE_PREQUEUE_SECONDS before. A fan whose slot ran out, or who went silent past
    QUEUE_ABANDON_SECONDS, joins again at the back.
    Raises SaleNotOpen (earlier than the pre-queue, or after the concert started) and
    SoldOut (no seat left in any category).
    """
    now = timezone.now()
    if not concert_selectors.concert_prequeue_is_open(concert, now):
        if concert_selectors.concert_has_started(concert, now):
            raise SaleEnded()
        opens_at = concert_selectors.concert_prequeue_opens_at(concert)
        raise SaleNotOpen(
            f"The waiting room opens at {opens_at:%Y-%m-%d %H:%M} UTC.",
            opens_at=opens_at.isoformat(),
            sale_starts_at=concert.sale_starts_at.isoformat(),
        )
    if concert_selectors.concert_is_sold_out(concert):
        raise SoldOut()

    result = redis_queue.join(
        concert.pk,
        user_id,
        now_ms=_ms(now),
        sale_starts_ms=_ms(concert.sale_starts_at),
        abandon_ms=_abandon_ms(),
    )
    if result.outcome != "kept":
        # One INSERT ... ON CONFLICT (user, concert) DO UPDATE: the record of a new place,
        # whether the fan never queued here or queued before and left, expired or finished.
        QueueEntry.objects.bulk_create(
            [
                QueueEntry(
                    user_id=user_id,
                    concert_id=concert.pk,
                    status=QueueEntry.Status.WAITING,
                    sequence=result.sequence,
                    joined_at=now,
                )
            ],
            update_conflicts=True,
            unique_fields=["user", "concert"],
            update_fields=_REJOIN_FIELDS,
        )
    return result.state


def queue_status(*, user_id: int, concert_id: int) -> QueueState:
    """Where a fan stands, from Redis alone (no database query), refreshing their last-seen.

    A waiting fan silent for longer than QUEUE_ABANDON_SECONDS reads `none`: the place is
    lost and joining again goes to the back.
    """
    return redis_queue.status(
        concert_id, user_id, now_ms=_ms(timezone.now()), abandon_ms=_abandon_ms()
    )


def queue_leave(*, user_id: int, concert_id: int) -> None:
    """Take a fan out of the line (or end their slot). Leaving twice is harmless."""
    was_waiting, was_active = redis_queue.leave(concert_id, user_id)
    if was_waiting or was_active:
        QueueEntry.objects.filter(
            user_id=user_id,
            concert_id=concert_id,
            status__in=[QueueEntry.Status.WAITING, QueueEntry.Status.ACTIVE],
        ).update(status=QueueEntry.Status.LEFT, finished_at=timezone.now())
    if was_active:
        _admit_soon(concert_id)


def _draw_prequeue(*, concert_id: int, now: datetime) -> None:
    """At the first tick after sale start, shuffle the pre-queue ahead of later arrivals.

    The order is a uniform permutation from the OS's CSPRNG; the Lua script moves each
    fan atomically, so concurrent ticks cannot place anyone twice.
    """
    members = redis_queue.prequeue_to_draw(concert_id, now_ms=_ms(now))
    if not members:
        return
    secrets.SystemRandom().shuffle(members)
    placed = dict(redis_queue.place_prequeue(concert_id, members))
    for ids in _chunks(list(placed)):
        entries = list(QueueEntry.objects.filter(concert_id=concert_id, user_id__in=ids))
        for entry in entries:
            entry.sequence = placed[entry.user_id]
        QueueEntry.objects.bulk_update(entries, ["sequence"])


def queue_admit_next(*, concert_id: int) -> list[int]:
    """One turnstile tick for a concert; returns the ids of the fans admitted.

    In one Lua script: end expired slots, skip and drop abandoned fans, admit the next fans
    in order while fewer than the cap (runtime override or QUEUE_MAX_ACTIVE_USERS) hold a
    slot and, with QUEUE_ADMIT_PER_MINUTE, no more than that per minute. Paused: expiry
    only. Concurrent ticks never exceed the cap nor admit a fan twice.
    """
    now = timezone.now()
    _draw_prequeue(concert_id=concert_id, now=now)
    result = redis_queue.admit(
        concert_id,
        now_ms=_ms(now),
        slot_ms=settings.QUEUE_SLOT_SECONDS * 1000,
        default_cap=settings.QUEUE_MAX_ACTIVE_USERS,
        per_minute=settings.QUEUE_ADMIT_PER_MINUTE,
        abandon_ms=_abandon_ms(),
    )
    entries = QueueEntry.objects.filter(concert_id=concert_id)
    for ids in _chunks(result.expired):
        entries.filter(user_id__in=ids, status=QueueEntry.Status.ACTIVE).update(
            status=QueueEntry.Status.EXPIRED, finished_at=now
        )
    for ids in _chunks(result.abandoned):
        entries.filter(user_id__in=ids, status=QueueEntry.Status.WAITING).update(
            status=QueueEntry.Status.ABANDONED, finished_at=now
        )
    for ids in _chunks(result.admitted):
        entries.filter(user_id__in=ids).update(
            status=QueueEntry.Status.ACTIVE,
            admitted_at=now,
            active_until=datetime_from_ms(result.active_until_ms),
            finished_at=None,
        )
    return result.admitted


def queue_slot_active_until(*, user_id: int, concert_id: int) -> datetime | None:
    """When the fan's turn to book ends, or None if they hold no live slot (Redis only)."""
    return datetime_from_ms(
        redis_queue.active_until_ms(concert_id, user_id, now_ms=_ms(timezone.now()))
    )


def queue_slot_is_active(*, user_id: int, concert_id: int) -> bool:
    """Does this fan hold a live booking slot for this concert? (Redis only.)"""
    return queue_slot_active_until(user_id=user_id, concert_id=concert_id) is not None


def queue_slot_release(*, user_id: int, concert_id: int) -> None:
    """The fan's turn is complete (booking confirmed): free the slot and admit the next fan.

    Harmless if the slot already ended; the record becomes `completed` either way.
    """
    released = redis_queue.release(concert_id, user_id)
    QueueEntry.objects.filter(
        user_id=user_id,
        concert_id=concert_id,
        status__in=[QueueEntry.Status.ACTIVE, QueueEntry.Status.EXPIRED],
    ).update(status=QueueEntry.Status.COMPLETED, finished_at=timezone.now())
    if released:
        _admit_soon(concert_id)


# --- Staff controls -------------------------------------------------------------------------
def queue_admission_pause(*, concert_id: int) -> None:
    """Stop admitting fans (slots still expire); stored in Redis, effective at the next tick."""
    redis_queue.set_paused(concert_id, True)


def queue_admission_resume(*, concert_id: int) -> None:
    redis_queue.set_paused(concert_id, False)
    _admit_soon(concert_id)


def queue_cap_set(*, concert_id: int, cap: int | None) -> None:
    """Override QUEUE_MAX_ACTIVE_USERS for one concert at runtime (None: back to default).
    Raises InvalidCap for a negative cap."""
    if cap is not None and cap < 0:
        raise InvalidCap()
    redis_queue.set_cap(concert_id, cap)
    _admit_soon(concert_id)


# --- Rebuild ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RebuildResult:
    waiting: int
    prequeue: int
    active: int


class QueueNotEmpty(Exception):
    """rebuild_queue refuses to overwrite a live queue unless told to."""


def queue_rebuild(*, concert: Concert, force: bool = False) -> RebuildResult:
    """Restore a concert's line into Redis from the QueueEntry rows (after a Redis restart).

    Waiting fans keep their order (their join sequence; pre-queue fans stay in the pre-queue
    until the draw), active fans keep their slot until it ends. Every restored waiting fan
    counts as seen now, so nobody is dropped as abandoned for Redis having been down.
    Raises QueueNotEmpty when Redis still holds this queue and force is not set.
    """
    if not redis_queue.is_empty(concert.pk):
        if not force:
            raise QueueNotEmpty(f"Redis already holds a queue for concert {concert.pk}.")
        redis_queue.clear(concert.pk)
    now = timezone.now()
    waiting, prequeue, active = [], [], []
    rows = QueueEntry.objects.filter(
        concert=concert, status__in=[QueueEntry.Status.WAITING, QueueEntry.Status.ACTIVE]
    ).order_by("sequence", "joined_at", "id")
    for entry in rows.iterator():
        if entry.status == QueueEntry.Status.ACTIVE:
            if entry.active_until and entry.active_until > now:
                active.append((entry.user_id, _ms(entry.active_until)))
        elif entry.sequence is None:
            prequeue.append((entry.user_id, _ms(entry.joined_at)))
        else:
            waiting.append((entry.user_id, entry.sequence))
    shuffled = any(score <= 0 for _, score in waiting) or (
        now >= concert.sale_starts_at and not prequeue
    )
    redis_queue.restore(
        concert.pk,
        waiting=waiting,
        prequeue=prequeue,
        active=active,
        sale_starts_ms=_ms(concert.sale_starts_at),
        shuffled=shuffled,
        now_ms=_ms(now),
    )
    return RebuildResult(waiting=len(waiting), prequeue=len(prequeue), active=len(active))


# --- Clean-up -----------------------------------------------------------------------------
FINISHED_QUEUE_GRACE = timedelta(days=1)
FINISHED_QUEUE_LOOKBACK = timedelta(days=7)


def queue_purge_finished(*, now: datetime | None = None) -> list[int]:
    """Delete the Redis data of concerts that started more than a day ago.

    Nobody can join or book once a concert has started, but its sorted sets (last seen,
    admission log) would otherwise stay in Redis for good. Fans still recorded as waiting
    or active are closed as expired. A daily beat task runs it; looking back a week lets
    a missed day catch up. Returns the concert ids purged.
    """
    now = now or timezone.now()
    concert_ids = list(
        Concert.objects.filter(
            starts_at__lte=now - FINISHED_QUEUE_GRACE,
            starts_at__gt=now - FINISHED_QUEUE_LOOKBACK,
        ).values_list("pk", flat=True)
    )
    for concert_id in concert_ids:
        redis_queue.clear(concert_id)
    QueueEntry.objects.filter(
        concert_id__in=concert_ids,
        status__in=[QueueEntry.Status.WAITING, QueueEntry.Status.ACTIVE],
    ).update(status=QueueEntry.Status.EXPIRED, finished_at=now)
    return concert_ids
