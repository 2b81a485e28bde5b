"""Where a fan stands in a waiting room: the one shape from the Lua script to the serializer,
and the one wait-estimate rule shared by the fans' status and the staff view."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

# The admission rate behind the wait estimate is measured over this window; a young
# queue counts at least MIN_SPAN so the first burst of admissions does not look like
# the steady rate.
ETA_WINDOW_MS = 300_000
ETA_MIN_SPAN_MS = 60_000


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
