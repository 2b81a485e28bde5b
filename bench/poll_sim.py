"""The poll hint under a rush, simulated: requests per fan and how soon admissions are noticed.

    python -m bench.poll_sim [--fans 20000] [--per-tick 50] [--tick 5]

A line of F fans at sale start; every tick the turnstile admits the next A fans. Each fan
asks for its status when queue_state's `poll_after_seconds` says (the real rule,
queueing.state.poll_after_seconds, fed the real wait estimate), and for comparison when a
fixed 10-s poller with room.js's former +-30 % jitter would. Answers are instant: this
measures the rule, not the server (bench.rush measures the server).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from queueing.state import (
    ETA_WINDOW_MS,
    QueueState,
    QueueStatus,
    poll_after_seconds,
    wait_estimate_seconds,
)

ABANDON_SECONDS = 300
SALE = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    requests_per_fan: float
    notice_p50_s: float
    notice_p99_s: float
    notice_p99_first_100_s: float
    longest_gap_s: float  # the longest silence of any fan while waiting


def _percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(share * len(values)))], 2)


def simulate(*, fans: int, per_tick: int, tick: float, hinted: bool, seed: int = 1) -> Outcome:
    rng = random.Random(seed)
    admitted_at: dict[int, float] = {}  # place (1-based) -> admission time
    admissions: list[tuple[float, int]] = []  # (time, count) per tick, for the estimate
    polls = 0
    notice: dict[int, float] = {}
    longest_gap = 0.0
    # Every fan polls first at a random moment in its first interval after sale start.
    events = [(rng.uniform(0, 2.0), place, 0.0) for place in range(1, fans + 1)]
    heapq.heapify(events)
    next_tick, front = tick, 1
    while events:
        now, place, last = heapq.heappop(events)
        while next_tick <= now and front <= fans:  # the turnstile ticks in between
            batch = range(front, min(fans, front + per_tick - 1) + 1)
            for admitted in batch:
                admitted_at[admitted] = next_tick
            admissions.append((next_tick, len(batch)))
            front += len(batch)
            next_tick += tick
        polls += 1
        longest_gap = max(longest_gap, now - last)
        if place in admitted_at:
            notice[place] = now - admitted_at[place]
            continue
        if not hinted:
            heapq.heappush(events, (now + 10.0 * rng.uniform(0.7, 1.3), place, now))
            continue
        now_ms = int(now * 1000)
        recent = [(t, n) for t, n in admissions if (now - t) * 1000 <= ETA_WINDOW_MS]
        state = QueueState(
            concert_id=1,
            status=QueueStatus.WAITING,
            position=place - front + 1,
            queue_length=fans - front + 1,
            estimated_wait_seconds=wait_estimate_seconds(
                place - front,
                admitted=sum(n for _t, n in recent),
                oldest_admission_ms=int(recent[0][0] * 1000) if recent else None,
                now_ms=now_ms,
            ),
            active_until=None,
            sale_starts_at=SALE,
        )
        # The rule reads sale_starts_at only in the pre-queue; times are seconds since sale.
        delay = poll_after_seconds(
            state, now_ms=now_ms, tick_seconds=tick, abandon_seconds=ABANDON_SECONDS, rng=rng
        )
        heapq.heappush(events, (now + delay, place, now))
    latencies = list(notice.values())
    first_100 = [notice[place] for place in sorted(notice)[:100]]
    return Outcome(
        requests_per_fan=round(polls / fans, 2),
        notice_p50_s=_percentile(latencies, 0.50),
        notice_p99_s=_percentile(latencies, 0.99),
        notice_p99_first_100_s=_percentile(first_100, 0.99),
        longest_gap_s=round(longest_gap, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fans", type=int, default=20_000)
    parser.add_argument("--per-tick", type=int, default=50)
    parser.add_argument("--tick", type=float, default=5.0)
    args = parser.parse_args()
    runs = {
        name: simulate(fans=args.fans, per_tick=args.per_tick, tick=args.tick, hinted=hinted)
        for name, hinted in (("poll_hint", True), ("fixed_10s", False))
    }
    hint, fixed = runs["poll_hint"], runs["fixed_10s"]
    print(
        json.dumps(
            {
                "fans": args.fans,
                "admitted_per_tick": args.per_tick,
                "tick_s": args.tick,
                **{name: vars(run) for name, run in runs.items()},
                "fewer_requests_than_fixed": round(
                    fixed.requests_per_fan / hint.requests_per_fan, 2
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    import django

    django.setup()
    main()
