"""Two schedulers ticking the turnstile at once: the cap and the rate still hold.

Production runs more than one `celery beat` (one per node, or a spare during a deploy), and
every released slot also queues an `admit_concert` task, so admission ticks for one concert
do overlap. They are safe because a tick is one Lua script: the count of active slots, the
count of recent admissions and the admissions themselves happen in one step. Each tick
also brings its own clock (`now_ms`, read in Python before the call), so the doubled ticks
here run with skewed, out-of-order clocks, as two nodes would.

The control is the same checker run on a tick written the obvious way (read the counts,
then admit, in separate commands): doubled, it admits past both caps.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from threading import Barrier, Event, Thread

import pytest
import redis

from queueing import redis_queue

CONCERT = 11


@pytest.fixture(autouse=True)
def _built_state():
    """These tests drive the Lua scripts on a fake concert id: declare its state present."""
    redis_queue.mark_built(CONCERT, now_ms=0)


CAP = 10
PER_MINUTE = 40
SLOT_MS = 20_000
ABANDON_MS = 300_000
TICK_MS = 250  # each scheduler's clock advances this much per tick
START_MS = 1_700_000_000_000
TICKS = 400  # per scheduler: 100 simulated seconds, so the rate window slides

Tick = Callable[[int], list[int]]  # now_ms -> fans admitted


def _atomic_tick(now_ms: int) -> list[int]:
    return redis_queue.admit(
        CONCERT,
        now_ms=now_ms,
        slot_ms=SLOT_MS,
        default_cap=CAP,
        per_minute=PER_MINUTE,
        abandon_ms=ABANDON_MS,
    ).admitted


def _naive_tick(client: redis.Redis, both_have_read: Barrier | None) -> Tick:
    """The race the Lua script closes: decide from counts read earlier, then admit."""
    keys = redis_queue.concert_keys(CONCERT)

    def tick(now_ms: int) -> list[int]:
        client.zremrangebyscore(keys.active, "-inf", now_ms)
        active = client.zcard(keys.active)
        recent = client.zcount(keys.admits, f"({now_ms - redis_queue.RATE_WINDOW_MS}", "+inf")
        if both_have_read is not None:
            both_have_read.wait()  # the other scheduler read the same counts meanwhile
        free = min(CAP - active, PER_MINUTE - recent)
        admitted = []
        for member, _score in client.zpopmin(keys.waiting, max(free, 0)):
            uid = int(member)
            client.zadd(keys.active, {uid: now_ms + SLOT_MS})
            client.zadd(keys.admits, {f"{uid}:{now_ms}": now_ms})
            admitted.append(uid)
        return admitted

    return tick


def _fill_line(fans: int) -> None:
    for uid in range(1, fans + 1):
        redis_queue.join(
            CONCERT, uid, now_ms=START_MS, sale_starts_ms=START_MS - 60_000, abandon_ms=ABANDON_MS
        )


def _max_in_window(scores: list[float], window_ms: int) -> int:
    """The most admissions whose times fall in any window of `window_ms` (sliding)."""
    scores = sorted(scores)
    most, first = 0, 0
    for last, score in enumerate(scores):
        while score - scores[first] >= window_ms:
            first += 1
        most = max(most, last - first + 1)
    return most


def _two_schedulers(tick_a: Tick, tick_b: Tick, client: redis.Redis, *, seed: int) -> dict:
    """Run two schedulers' ticks side by side (B's clock lags A's by up to 2 s, jittered)
    while a watcher samples the active set; fans book and free their slot at random."""
    keys = redis_queue.concert_keys(CONCERT)
    stop = Event()
    most_active = [0]
    admitted: list[int] = []

    def watch() -> None:
        while not stop.is_set():
            most_active[0] = max(most_active[0], client.zcard(keys.active))

    def scheduler(tick: Tick, lag_ms: int, rng: random.Random) -> None:
        for i in range(TICKS):
            now_ms = START_MS + i * TICK_MS - rng.randrange(lag_ms + 1)
            batch = tick(now_ms)
            admitted.extend(batch)
            for uid in batch:
                if rng.random() < 0.6:  # this fan paid: the slot ends early
                    redis_queue.release(CONCERT, uid, client=client)

    watcher = Thread(target=watch)
    threads = [
        Thread(target=scheduler, args=(tick_a, 0, random.Random(seed))),
        Thread(target=scheduler, args=(tick_b, 2_000, random.Random(seed + 1))),
    ]
    watcher.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    admit_times = [score for _, score in client.zrange(keys.admits, 0, -1, withscores=True)]
    return {
        "most_active": max(most_active[0], client.zcard(keys.active)),
        "most_per_minute": _max_in_window(admit_times, redis_queue.RATE_WINDOW_MS),
        "admitted": admitted,
    }


def test_two_schedulers_ticking_at_once_never_exceed_the_cap_or_the_rate(redis_client):
    for seed in range(5):
        redis_client.flushdb()
        redis_queue.mark_built(CONCERT, now_ms=0)
        _fill_line(400)
        seen = _two_schedulers(_atomic_tick, _atomic_tick, redis_client, seed=seed)
        assert seen["most_active"] <= CAP
        assert seen["most_per_minute"] <= PER_MINUTE
        # the rate, not a stall, is what limited them: 100 s at 40/min admits 40 to 80
        assert len(seen["admitted"]) >= PER_MINUTE
        assert len(seen["admitted"]) == len(set(seen["admitted"]))  # nobody twice


def test_a_naive_tick_doubled_exceeds_the_cap(redis_client):
    """Control: the same checker catches a tick that reads its counts before admitting.

    Both schedulers read the same active count before either admits (the barrier), so the
    cap is always overrun. Whether the rate is overrun too depends on which of the two
    counts limits a tick at that moment (it was, 43 against 40, in most runs), so only the
    cap is asserted here."""
    _fill_line(400)
    both_have_read = Barrier(2)
    tick = _naive_tick(redis_client, both_have_read)
    seen = _two_schedulers(tick, tick, redis_client, seed=0)
    assert seen["most_active"] > CAP
    assert seen["most_per_minute"] >= PER_MINUTE


def test_a_naive_tick_alone_keeps_the_caps(redis_client):
    """...and only because it is doubled: one scheduler running it stays within both."""
    _fill_line(400)
    tick = _naive_tick(redis_client, None)
    seen = _two_schedulers(tick, lambda _now_ms: [], redis_client, seed=0)
    assert seen["most_active"] <= CAP
    assert seen["most_per_minute"] <= PER_MINUTE
