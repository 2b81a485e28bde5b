"""The waiting room's rules: join, status, leave, the admission turnstile, slots for bookings.

Redis (queueing.redis_queue) holds the live line and decides every race in one Lua script;
PostgreSQL is the durable record it is rebuilt from: QueueEntry rows (the join sequence each
fan got, admission state), written on state changes only (join, admission, expiry, leave,
booking), never on a status poll, and QueueControl (pause, cap). When Redis lost a concert's
state (no epoch), the next join or admission tick rebuilds it before doing anything else.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from concerts import selectors as concert_selectors
from concerts.models import Concert
from outbox.services import outbox_enqueue
from queueing import challenge as queue_challenge
from queueing import draw, redis_queue
from queueing.errors import InvalidCap, QueueRebuilding, SaleEnded, SaleNotOpen, SoldOut
from queueing.models import Draw, QueueControl, QueueEntry
from queueing.state import ETA_WINDOW_MS, QueueState, QueueStatus, datetime_from_ms

_T = TypeVar("_T")
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

    # robust: the beat tick admits anyway, so a broker outage only delays the next fan.
    transaction.on_commit(lambda: admit_concert.delay(concert_id), robust=True)


def queue_join(*, user_id: int, concert: Concert, challenge: str | None = None) -> QueueState:
    """Put a fan in the concert's line, or keep the place they already have.

    Idempotent: joining again (or 50 double-clicks at once) keeps the first place. Before
    sale_starts_at the fan enters the pre-queue (position null), open from
    QUEUE_PREQUEUE_SECONDS before. A fan whose slot ran out, or who went silent past
    QUEUE_ABANDON_SECONDS, joins again at the back.
    Raises SaleNotOpen (earlier than the pre-queue, or after the concert started),
    SoldOut (no seat left in any category: the fan may join the waiting list) and
    TicketLimitReached (the fan already holds MAX_TICKETS_PER_FAN tickets for the concert:
    a place in line would buy nothing). When the concert asks a proof of work,
    `challenge` is the fan's solution (queueing.challenge.challenge_check_join: its rule
    and its Challenge* errors).
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
    concert_selectors.fan_ticket_limit_check(
        held=concert_selectors.fan_tickets_held(user_id=user_id, concert_id=concert.pk),
        quantity=1,
    )
    _with_state(
        concert.pk,
        lambda: queue_challenge.challenge_check_join(
            concert_id=concert.pk, user_id=user_id, payload=challenge, now=now
        ),
    )

    result = _with_state(
        concert.pk,
        lambda: redis_queue.join(
            concert.pk,
            user_id,
            now_ms=_ms(now),
            sale_starts_ms=_ms(concert.sale_starts_at),
            abandon_ms=_abandon_ms(),
        ),
    )
    if result.outcome != "kept":
        # A new place in the pre-queue gets a new draw receipt (a rejoin after leaving too);
        # a place after the draw keeps whatever receipt the record had.
        in_prequeue = result.state.in_prequeue
        if in_prequeue:
            draw_commit(concert_id=concert.pk)
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
                    entry_id=draw.new_entry_id() if in_prequeue else None,
                )
            ],
            update_conflicts=True,
            unique_fields=["user", "concert"],
            update_fields=[*_REJOIN_FIELDS, "entry_id"] if in_prequeue else _REJOIN_FIELDS,
        )
    return result.state


def queue_status(*, user_id: int, concert_id: int) -> QueueState:
    """Where a fan stands, from Redis alone (no database query), refreshing their last-seen.

    A waiting fan silent for longer than QUEUE_ABANDON_SECONDS reads `none`: the place is
    lost and joining again goes to the back. While Redis has lost the concert's state the
    fan reads "waiting" with no position (the page keeps polling) and one rebuild task is
    queued for the concert.
    """
    now = timezone.now()
    try:
        return redis_queue.status(concert_id, user_id, now_ms=_ms(now), abandon_ms=_abandon_ms())
    except redis_queue.RebuildNeeded:
        if redis_queue.ask_rebuild_once(concert_id, ttl_ms=_REBUILD_LOCK_MS):
            from queueing.tasks import rebuild_concert_queue  # the task module imports this one

            rebuild_concert_queue.delay(concert_id)
        return QueueState(
            concert_id=concert_id,
            status=QueueStatus.WAITING,
            position=None,
            queue_length=0,
            estimated_wait_seconds=None,
            active_until=None,
            sale_starts_at=None,
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


def draw_commit(*, concert_id: int) -> Draw:
    """Commit to the concert's pre-queue draw: a secret seed whose sha256 is published.

    Called when the pre-queue opens (the beat tick) and lazily at the first pre-queue join.
    Idempotent under races: the row is unique per concert and the first one written wins
    (get_or_create re-reads after a lost INSERT); a losing seed is never stored nor shown.
    """
    seed = draw.new_seed()
    row, _ = Draw.objects.get_or_create(
        concert_id=concert_id, defaults={"seed": seed, "commitment": draw.commitment_of(seed)}
    )
    return row


# A join writes its record a few milliseconds after Redis placed the fan in the pre-queue;
# a draw that finds a fan without a receipt waits this long for it before going without.
_RECEIPT_GRACE_MS = 5_000


def _draw_prequeue(*, concert_id: int, now: datetime) -> None:
    """At the first tick after sale start, place the pre-queue in the published draw's order.

    The order is the ranking of HMAC-SHA256(seed, entry id) (queueing.draw). The draw is
    published first (the seed and the entry ids in drawn order), by exactly one tick: a
    conditional UPDATE ... WHERE drawn_at IS NULL; so a tick that dies next cannot leave the
    seed unrevealed. Then the Lua script moves each fan atomically, so concurrent ticks
    cannot place anyone twice; they all place in the same order, the ranking of whatever
    subset is still there. A fan whose record is still being written delays the draw by a
    tick (up to _RECEIPT_GRACE_MS); a fan with no record at all is left in the pre-queue and
    joins the back of the line at the next tick, like a straggler after the draw.
    """
    prequeue = redis_queue.prequeue_to_draw(concert_id, now_ms=_ms(now))
    if prequeue is None:
        return
    if prequeue.drawn:  # stragglers (clock skew): the back of the line, in arrival order
        _place(concert_id, [user_id for user_id, _ in prequeue.members])
        return
    joined_ms = dict(prequeue.members)
    receipts = _receipts(concert_id=concert_id, user_ids=list(joined_ms))
    missing = [user_id for user_id in joined_ms if user_id not in receipts]
    if missing:
        if any(_ms(now) - joined_ms[user_id] < _RECEIPT_GRACE_MS for user_id in missing):
            return  # a join is still writing its record: draw at the next tick
        receipts.update(_receipts_for_legacy_entries(concert_id=concert_id, user_ids=missing))
    if receipts:
        row: Draw | None = draw_commit(concert_id=concert_id)
    else:  # nobody in the pre-queue: reveal the seed of a commitment made, if any
        row = Draw.objects.filter(concert_id=concert_id).first()
    by_entry = {entry_id: user_id for user_id, entry_id in receipts.items()}
    drawn_entries = draw.draw_order(row.seed, by_entry) if row else []
    if row is not None:
        _draw_publish(concert_id=concert_id, now=now, entries=drawn_entries)
    _place(concert_id, [by_entry[entry_id] for entry_id in drawn_entries])


def _draw_publish(*, concert_id: int, now: datetime, entries: list[str]) -> bool:
    """Reveal the seed and the drawn order, once: True for the one call that did."""
    return (
        Draw.objects.filter(concert_id=concert_id, drawn_at__isnull=True).update(
            drawn_at=now, entries=entries
        )
        == 1
    )


def _place(concert_id: int, order: list[int]) -> None:
    """Move these pre-queue fans into the line (queueing.redis_queue.place_prequeue) and
    record the sequence each got."""
    placed = dict(redis_queue.place_prequeue(concert_id, order).placed)
    for ids in _chunks(list(placed)):
        entries = list(QueueEntry.objects.filter(concert_id=concert_id, user_id__in=ids))
        for entry in entries:
            entry.sequence = placed[entry.user_id]
        QueueEntry.objects.bulk_update(entries, ["sequence"])


def _receipts_for_legacy_entries(*, concert_id: int, user_ids: list[int]) -> dict[int, str]:
    """Receipts for pre-queue records written before receipts existed (entry_id null)."""
    for user_id in user_ids:
        QueueEntry.objects.filter(
            concert_id=concert_id, user_id=user_id, entry_id__isnull=True
        ).update(entry_id=draw.new_entry_id())
    return _receipts(concert_id=concert_id, user_ids=user_ids)


def _receipts(*, concert_id: int, user_ids: list[int]) -> dict[int, str]:
    """user id -> entry id of these fans' records that hold a receipt."""
    receipts: dict[int, str] = {}
    for ids in _chunks(user_ids):
        rows = QueueEntry.objects.filter(
            concert_id=concert_id, user_id__in=ids, entry_id__isnull=False
        ).values_list("user_id", "entry_id")
        receipts.update((user_id, entry_id) for user_id, entry_id in rows if entry_id)
    return receipts


def queue_admit_next(*, concert_id: int) -> list[int]:
    """One turnstile tick for a concert; returns the ids of the fans admitted.

    In one Lua script: end expired slots, skip and drop abandoned fans, admit the next fans
    in order while fewer than the cap (runtime override or QUEUE_MAX_ACTIVE_USERS) hold a
    slot, with QUEUE_ADMIT_PER_MINUTE no more than that per minute, and only while seats
    are free for them: the seats free to hold, less QUEUE_SEATS_PER_ADMISSION for each
    admitted fan who has not held yet, must stay above zero (`_stock`, read here once per
    tick; status polls never read it). No seat free but some held: the line pauses
    (`seats_held`) and resumes, in order, when seats return. None free and none held:
    sold out; the line closes and every waiting fan is told. Paused: expiry only.
    Concurrent ticks never exceed the cap nor admit a fan twice.
    """
    now = timezone.now()

    def tick() -> redis_queue.AdmitResult:
        _draw_prequeue(concert_id=concert_id, now=now)
        return redis_queue.admit(
            concert_id,
            now_ms=_ms(now),
            slot_ms=settings.QUEUE_SLOT_SECONDS * 1000,
            default_cap=settings.QUEUE_MAX_ACTIVE_USERS,
            per_minute=settings.QUEUE_ADMIT_PER_MINUTE,
            abandon_ms=_abandon_ms(),
            stock=_stock(concert_id),
        )

    try:
        result = _with_state(concert_id, tick)
    except QueueRebuilding:
        return []  # another process is rebuilding this concert; the next tick admits
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
    if result.closed:
        entries.filter(status=QueueEntry.Status.WAITING).update(
            status=QueueEntry.Status.SOLD_OUT, finished_at=now
        )
    return result.admitted


def seats_per_admission() -> int:
    """What each admitted fan who has not held yet counts for in the seats left."""
    return settings.QUEUE_SEATS_PER_ADMISSION or settings.MAX_TICKETS_PER_BOOKING


def _stock(concert_id: int) -> redis_queue.Stock | None:
    """The concert's seats for one tick: which admitted fans hold (or bought) seats first,
    then the counts, so that a hold landing in between counts twice (its fan reserved, its
    seats gone), never zero times. None for a concert with no categories yet: there is
    nothing to count (nor to sell)."""
    read_ms = int(time.time() * 1000)
    holders = concert_selectors.concert_seat_holders(
        concert_id=concert_id, among=redis_queue.active_members(concert_id)
    )
    stock = concert_selectors.concert_stock(concert_id=concert_id)
    if stock.total == 0:
        return None
    return redis_queue.Stock(
        seats_free=stock.free,
        seats_in_flux=stock.in_flux,
        seats_per_fan=seats_per_admission(),
        holders=tuple(holders),
        read_ms=read_ms,
    )


def queue_has_waiting(*, concert_id: int) -> bool:
    """Are fans waiting in the concert's line (or pre-queue)? Seats that come back go to
    them first; the waiting list's offers wait until the line is empty or closed."""
    return redis_queue.waiting_count(concert_id) > 0


def queue_slot_active_until(*, user_id: int, concert_id: int) -> datetime | None:
    """When the fan's turn to book ends, or None if they hold no live slot (Redis only)."""
    return datetime_from_ms(
        redis_queue.active_until_ms(concert_id, user_id, now_ms=_ms(timezone.now()))
    )


def queue_slot_is_active(*, user_id: int, concert_id: int) -> bool:
    """Does this fan hold a live booking slot for this concert? (Redis only.)"""
    return queue_slot_active_until(user_id=user_id, concert_id=concert_id) is not None


SLOT_RELEASE = "queueing.slot_release"  # the outbox kind


def queue_slot_release_schedule(*, user_id: int, concert_id: int) -> None:
    """Release the fan's slot once the caller's transaction commits, through the outbox: the
    release is written with its cause and delivered even if Redis is down at that moment."""
    outbox_enqueue(kind=SLOT_RELEASE, payload={"user_id": user_id, "concert_id": concert_id})


def queue_slot_release_deliver(payload: dict) -> None:
    """The outbox handler of SLOT_RELEASE (idempotent: releasing a released slot is a no-op)."""
    queue_slot_release(user_id=int(payload["user_id"]), concert_id=int(payload["concert_id"]))


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
    """Stop admitting fans (slots still expire), effective at the next tick. Stored in
    QueueControl first, then in Redis, so a rebuilt line stays paused."""
    QueueControl.objects.update_or_create(concert_id=concert_id, defaults={"paused": True})
    redis_queue.set_paused(concert_id, True)


def queue_admission_resume(*, concert_id: int) -> None:
    QueueControl.objects.update_or_create(concert_id=concert_id, defaults={"paused": False})
    redis_queue.set_paused(concert_id, False)
    _admit_soon(concert_id)


def queue_cap_set(*, concert_id: int, cap: int | None) -> None:
    """Override QUEUE_MAX_ACTIVE_USERS for one concert at runtime (None: back to default).
    Raises InvalidCap for a negative cap."""
    if cap is not None and cap < 0:
        raise InvalidCap()
    QueueControl.objects.update_or_create(concert_id=concert_id, defaults={"active_cap": cap})
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
    """Restore a concert's line into Redis from PostgreSQL (`manage.py rebuild_queue`).

    The automatic rebuild does the same when a join or tick finds the state missing; this
    is for an operator. Raises QueueNotEmpty when Redis still holds this queue and force is
    not set, QueueRebuilding when another process is rebuilding it right now.
    """
    if not force and not redis_queue.is_empty(concert.pk):
        raise QueueNotEmpty(f"Redis already holds a queue for concert {concert.pk}.")
    token = redis_queue.rebuild_lock(concert.pk, ttl_ms=_REBUILD_LOCK_MS)
    if token is None:
        raise QueueRebuilding()
    try:
        return _restore_from_records(concert)
    finally:
        redis_queue.rebuild_unlock(concert.pk, token)


# Long enough for a big line's rebuild; short enough that a dead rebuilder's lock is retaken.
_REBUILD_LOCK_MS = 30_000
_REBUILD_WAIT_SECONDS = 5.0


def _with_state(concert_id: int, step: Callable[[], _T]) -> _T:
    """Run a Redis step; if the concert's state is missing, rebuild it and run it once more.

    Raises QueueRebuilding (retriable) when another process's rebuild did not finish within
    _REBUILD_WAIT_SECONDS.
    """
    try:
        return step()
    except redis_queue.RebuildNeeded:
        queue_rebuild_if_lost(concert_id=concert_id)
    try:
        return step()
    except redis_queue.RebuildNeeded:
        raise QueueRebuilding() from None


def queue_rebuild_if_lost(*, concert_id: int) -> bool:
    """Rebuild a concert's Redis state from PostgreSQL unless it is there; True if rebuilt.

    One process rebuilds (the `rebuilding` lock, SET NX with a TTL); the others wait for the
    epoch to appear. Joins and ticks arriving meanwhile find no epoch and write nothing, so
    nobody writes into a half-built line. Raises QueueRebuilding when the wait runs out.
    """
    deadline = time.monotonic() + _REBUILD_WAIT_SECONDS
    while True:
        if redis_queue.is_built(concert_id):
            return False
        token = redis_queue.rebuild_lock(concert_id, ttl_ms=_REBUILD_LOCK_MS)
        if token is not None:
            break
        if time.monotonic() > deadline:
            raise QueueRebuilding()
        time.sleep(0.05)
    try:
        if redis_queue.is_built(concert_id):  # built while we waited for the lock
            return False
        concert = Concert.objects.get(pk=concert_id)
        _restore_from_records(concert)
        return True
    finally:
        redis_queue.rebuild_unlock(concert_id, token)


def _restore_from_records(concert: Concert) -> RebuildResult:
    """Write the concert's line back into Redis from QueueEntry and QueueControl.

    Waiting fans keep their durable join sequence (pre-queue fans stay in the pre-queue until
    the draw); fans recorded active keep what is left of their slot; fans who completed a
    purchase, left, expired or abandoned are not restored (no phantom slots). The join
    counter resumes after the highest sequence ever handed out, so re-joins and new joins
    land behind everyone restored. Every restored waiting fan counts as seen now, so nobody
    is dropped as abandoned for Redis having been down.
    """
    now = timezone.now()
    entries = QueueEntry.objects.filter(concert=concert)
    waiting, prequeue, active, admits = [], [], [], []
    rows = entries.filter(
        status__in=[QueueEntry.Status.WAITING, QueueEntry.Status.ACTIVE]
    ).order_by("sequence", "joined_at", "id")
    for entry in rows.iterator():
        if entry.status == QueueEntry.Status.ACTIVE:
            if entry.active_until and entry.active_until > now:
                active.append((entry.user_id, _ms(entry.active_until)))
        elif entry.sequence is None:
            prequeue.append((entry.user_id, _ms(entry.joined_at)))
        else:
            waiting.append((entry.user_id, entry.sequence))
    # the admission log of the estimate's window, so the rate cap and the estimate go on
    recent = entries.filter(admitted_at__gt=now - timedelta(milliseconds=ETA_WINDOW_MS))
    for user_id, admitted_at in recent.values_list("user_id", "admitted_at"):
        if admitted_at is not None:
            admits.append((user_id, _ms(admitted_at)))
    highest = entries.aggregate(highest=Max("sequence"))["highest"] or 0
    control = QueueControl.objects.filter(concert=concert).first()
    # An empty pre-queue after sale start counts as drawn, unless its draw (a commitment
    # made) is still to be revealed: the next tick does that.
    shuffled = any(score <= 0 for _, score in waiting) or (
        now >= concert.sale_starts_at
        and not prequeue
        and not Draw.objects.filter(concert=concert, drawn_at__isnull=True).exists()
    )
    redis_queue.restore(
        concert.pk,
        waiting=waiting,
        prequeue=prequeue,
        active=active,
        admits=admits,
        next_sequence=max(highest, 0) + 1,
        paused=bool(control and control.paused),
        cap=control.active_cap if control else None,
        challenge_maxnumber=control.challenge_maxnumber if control else None,
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
