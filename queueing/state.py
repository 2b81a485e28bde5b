"""Where a fan stands in a waiting room: the one shape from the Lua script to the JSON body
(`QueueState.as_json`), the one wait-estimate rule shared by the fans' status and the staff
view, and the poll hint (`poll_after_seconds`: when the fan should ask again)."""

from __future__ import annotations

import enum
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

# The poll hint. In the first POLL_FRONT_POSITIONS places (and while active) a fan asks
# every POLL_SHORT_SECONDS, so an admission is noticed within a few seconds; that costs at
# most 100 / 2 s = 50 requests a second per concert, whatever the length of the line.
# Further back it asks after POLL_WAIT_SHARE of the estimated wait (which shrinks to short
# as the turn nears), so the number of polls grows with the log of the wait rather than
# with the wait; never later than POLL_MAX_SECONDS nor a quarter of QUEUE_ABANDON_SECONDS
# (a fan who polls when told never loses the place).
POLL_SHORT_SECONDS = 2.0
POLL_DEFAULT_SECONDS = 10.0  # no admission measured yet, or not in the line
POLL_MAX_SECONDS = 60.0
POLL_FRONT_POSITIONS = 100
POLL_WAIT_SHARE = 0.5
POLL_JITTER = 0.2  # +-20 %, so fans that joined together do not poll together
POLL_ABANDON_SHARE = 0.25

# The admission rate behind the wait estimate is measured over this window; a young
# queue counts at least MIN_SPAN so the first burst of admissions does not look like
# the steady rate.
ETA_WINDOW_MS = 300_000
ETA_MIN_SPAN_MS = 60_000


class LineState(enum.StrEnum):
    """Why the line is or is not moving (queue_state.line)."""

    OPEN = "open"  # admitting fans while seats are free to hold
    PAUSED = "paused"  # not admitting now; line_reason says why
    SOLD_OUT = "sold_out"  # no seat free and none can come back: the line is closed

    do_not_call_in_templates = enum.nonmember(True)


class LineReason(enum.StrEnum):
    """queue_state.line_reason: null while the line is open."""

    PAUSED_BY_STAFF = "paused_by_staff"  # staff paused admission or set the cap to 0
    SEATS_HELD = "seats_held"  # every seat left is held by fans checking out; some may return
    SOLD_OUT = "sold_out"

    do_not_call_in_templates = enum.nonmember(True)


def line_state(
    *, paused: bool, cap: int | None, tick_line: str | None
) -> tuple[LineState, LineReason | None]:
    """The one rule for the line's state: staff controls act at once (read from Redis on
    every poll); what stock allows is what the last turnstile tick found (`tick_line`,
    written by the admit script as a LineReason value, or empty while open)."""
    if paused or cap == 0:
        return LineState.PAUSED, LineReason.PAUSED_BY_STAFF
    if tick_line == LineReason.SOLD_OUT:
        return LineState.SOLD_OUT, LineReason.SOLD_OUT
    if tick_line == LineReason.SEATS_HELD:
        return LineState.PAUSED, LineReason.SEATS_HELD
    return LineState.OPEN, None


# What fans and staff are told of each state: (heading, explanation). The page renders
# these into its markup and its script switches between them, so they live only here.
LINE_TEXTS: dict[LineReason, tuple[str, str]] = {
    LineReason.PAUSED_BY_STAFF: (
        "The line is paused",
        "The box office has paused admission for a moment. You keep your place, and the line "
        "moves again when they resume it. Nobody can estimate the wait while it is paused.",
    ),
    LineReason.SEATS_HELD: (
        "Every seat left is being held",
        "All the remaining seats are held by fans paying for them right now. Seats that are "
        "not paid for in time come back, and the line moves again, in order. You keep your "
        "place.",
    ),
    LineReason.SOLD_OUT: (
        "Sold out",
        "Every ticket has been sold. Join the waiting list to be offered seats, in list "
        "order, if any come back from cancellations or refunds.",
    ),
}


class QueueStatus(enum.StrEnum):
    WAITING = "waiting"  # in line, or in the pre-queue before the sale (no position yet)
    ACTIVE = "active"  # holding a slot to book
    NONE = "none"  # not in the line

    do_not_call_in_templates = enum.nonmember(True)


@dataclass(frozen=True)
class QueueState:
    """The contract's queue_state."""

    concert_id: int
    status: QueueStatus
    position: int | None  # 1-based while waiting after the sale opened
    queue_length: int
    estimated_wait_seconds: int | None
    active_until: datetime | None
    sale_starts_at: datetime | None
    line: LineState = LineState.OPEN
    line_reason: LineReason | None = None

    @property
    def in_prequeue(self) -> bool:
        return self.status == QueueStatus.WAITING and self.position is None

    @property
    def in_line(self) -> bool:
        return self.status == QueueStatus.WAITING and self.position is not None

    @property
    def is_active(self) -> bool:
        return self.status == QueueStatus.ACTIVE

    @property
    def is_out(self) -> bool:
        return self.status == QueueStatus.NONE

    def as_json(self, *, now_ms: int | None = None, rng: random.Random | None = None) -> dict:
        """The contract's queue_state body, plus `poll_after_seconds` (the one place that
        shapes it: the API views and the waiting-room page use it)."""
        return {
            "concert_id": self.concert_id,
            "status": self.status.value,
            "position": self.position,
            "queue_length": self.queue_length,
            "estimated_wait_seconds": self.estimated_wait_seconds,
            "active_until": _iso(self.active_until),
            "sale_starts_at": _iso(self.sale_starts_at),
            "line": self.line.value,
            "line_reason": None if self.line_reason is None else self.line_reason.value,
            "poll_after_seconds": poll_after_seconds(
                self,
                now_ms=int(time.time() * 1000) if now_ms is None else now_ms,
                tick_seconds=settings.QUEUE_PROMOTION_INTERVAL_SECONDS,
                abandon_seconds=settings.QUEUE_ABANDON_SECONDS,
                rng=rng,
            ),
        }


def _iso(moment: datetime | None) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601, UTC as `Z`."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def poll_max_seconds(abandon_seconds: int) -> float:
    """The longest hint before jitter: well below the abandon timeout."""
    return min(POLL_MAX_SECONDS, abandon_seconds * POLL_ABANDON_SHARE)


def poll_base_seconds(
    state: QueueState, *, now_ms: int, tick_seconds: float, abandon_seconds: int
) -> float:
    """The poll hint before jitter (see the POLL_* constants)."""
    longest = poll_max_seconds(abandon_seconds)
    short = min(POLL_SHORT_SECONDS, longest)
    if state.is_active:
        return short
    if state.in_prequeue:
        # Ask again just after the draw (the first tick after sale start), not before.
        if state.sale_starts_at is None:
            return min(POLL_DEFAULT_SECONDS, longest)
        until_sale = state.sale_starts_at.timestamp() - now_ms / 1000
        if until_sale <= 0:
            return short
        return min(until_sale + tick_seconds, longest)
    if not state.in_line:
        return min(POLL_DEFAULT_SECONDS, longest)
    assert state.position is not None
    if state.position <= POLL_FRONT_POSITIONS:
        return short
    wait = state.estimated_wait_seconds
    if wait is None:
        return min(POLL_DEFAULT_SECONDS, longest)
    return max(short, min(wait * POLL_WAIT_SHARE, longest))


def poll_after_seconds(
    state: QueueState,
    *,
    now_ms: int,
    tick_seconds: float,
    abandon_seconds: int,
    rng: random.Random | None = None,
) -> float:
    """When the fan should poll again, in seconds (one decimal), with +-POLL_JITTER.

    A pre-queue fan due back at the draw is spread over the tick after it instead, so that
    nobody comes back before the draw and the whole pre-queue does not come back at once."""
    rng = rng or _jitter_rng
    base = poll_base_seconds(
        state, now_ms=now_ms, tick_seconds=tick_seconds, abandon_seconds=abandon_seconds
    )
    longest = poll_max_seconds(abandon_seconds)
    if state.in_prequeue and state.sale_starts_at is not None and base < longest:
        until_sale = state.sale_starts_at.timestamp() - now_ms / 1000
        if until_sale > 0:
            after_draw = until_sale + tick_seconds * rng.uniform(1, 2)
            return round(min(after_draw, longest * (1 + POLL_JITTER)), 1)
    spread = rng.uniform(1 - POLL_JITTER, 1 + POLL_JITTER)
    return round(max(base * spread, 0.5), 1)


# Jitter only spreads load; it protects nothing, so a non-cryptographic generator is right.
_jitter_rng = random.Random()  # noqa: S311


def wait_estimate_seconds(
    ahead: int, *, admitted: int, oldest_admission_ms: int | None, now_ms: int
) -> int | None:
    """Fans ahead / admissions per second over the last ETA_WINDOW_MS, rounded up; None
    until an admission has been measured."""
    if not admitted or oldest_admission_ms is None:
        return None
    span_ms = max(now_ms - oldest_admission_ms, ETA_MIN_SPAN_MS)
    return -(-ahead * span_ms // (admitted * 1000))


def datetime_from_ms(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)
