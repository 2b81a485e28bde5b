"""Races the waiting room must win, with real threads against real Redis (and PostgreSQL).

Beside the join and admission races sit their controls (`@pytest.mark.control`): the same
step written as separate Redis commands instead of one Lua script, shown to go wrong.

The Redis-level tests run on every CI run; the service-level ones, which also write
QueueEntry rows from many threads, need PostgreSQL.
"""

import threading
from threading import Event, Thread

import pytest
from django.utils import timezone

from queueing import redis_queue, services
from queueing.models import QueueEntry
from tests.concurrency import MAX_REDIS_THREADS, returned_values, run_concurrently

NOW = int(timezone.now().timestamp() * 1000)
ABANDON_MS = 300_000
CONCERT = 7


@pytest.fixture(autouse=True)
def _built_state():
    """These tests drive the Lua scripts on a fake concert id: declare its state present."""
    redis_queue.mark_built(CONCERT, now_ms=0)


def _join(user_id: int, *, now_ms: int = NOW):
    return redis_queue.join(
        CONCERT, user_id, now_ms=now_ms, sale_starts_ms=NOW - 60_000, abandon_ms=ABANDON_MS
    )


def test_200_concurrent_joins_get_200_distinct_positions():
    states = returned_values(
        run_concurrently(lambda uid: _join(uid).state, range(1, 201), threads=MAX_REDIS_THREADS)
    )
    assert sorted(s.position for s in states) == list(range(1, 201))
    assert redis_queue.snapshot(CONCERT, now_ms=NOW).waiting == 200


def test_50_concurrent_double_clicks_keep_one_place():
    _join(1)
    results = returned_values(
        run_concurrently(lambda _: _join(2), range(50), threads=MAX_REDIS_THREADS)
    )
    assert sorted(r.outcome for r in results) == ["joined"] + ["kept"] * 49
    assert {r.state.position for r in results} == {2}
    assert redis_queue.snapshot(CONCERT, now_ms=NOW).waiting == 2


@pytest.mark.control
def test_control_double_clicks_without_the_lua_script_join_many_times(redis_client):
    """A join written as separate commands (ZSCORE, then INCR + ZADD): every click checks
    "not in line yet" before any adds, so each one joins anew and burns a place."""
    _join(1)
    keys = redis_queue.concert_keys(CONCERT)
    clicks = 20
    all_have_checked = threading.Barrier(clicks)

    def join_in_separate_commands(user_id: int) -> str:
        waiting = redis_client.zscore(keys.waiting, user_id) is not None
        all_have_checked.wait(timeout=30)
        if waiting:
            return "kept"
        redis_client.zadd(keys.waiting, {user_id: redis_client.incr(keys.seq)})
        return "joined"

    outcomes = returned_values(run_concurrently(join_in_separate_commands, [2] * clicks))

    assert outcomes == ["joined"] * clicks
    assert int(redis_client.get(keys.seq)) == 1 + clicks  # one fan, 20 places taken


def test_four_concurrent_promoters_never_exceed_the_cap_nor_lose_a_fan(redis_client):
    cap, fans = 25, 600
    for uid in range(1, fans + 1):
        _join(uid)
    keys = redis_queue.concert_keys(CONCERT)
    admitted: list[int] = []
    done = Event()
    over_cap: list[int] = []

    def watch():
        while not done.is_set():
            active = redis_client.zcard(keys.active)
            if active > cap:
                over_cap.append(active)

    def promote(_):
        mine = []
        for _round in range(200):
            batch = redis_queue.admit(
                CONCERT,
                now_ms=NOW,
                slot_ms=300_000,
                default_cap=cap,
                per_minute=0,
                abandon_ms=ABANDON_MS,
            ).admitted
            mine += batch
            for uid in batch:  # each admitted fan books at once and frees the slot
                redis_queue.release(CONCERT, uid)
        return mine

    watcher = Thread(target=watch)
    watcher.start()
    try:
        for batch in returned_values(run_concurrently(promote, range(4))):
            admitted += batch
    finally:
        done.set()
        watcher.join()
    assert over_cap == []
    assert len(admitted) == len(set(admitted))  # nobody admitted twice
    left = {int(u) for u in redis_client.zrange(keys.waiting, 0, -1)}
    assert set(admitted) | left == set(range(1, fans + 1))  # nobody lost
    assert not set(admitted) & left


@pytest.mark.control
def test_control_promoters_without_the_lua_script_exceed_the_cap(redis_client):
    """A promoter written as separate commands (count the active slots, then pop and add):
    four promoters all count 0 active before any admits, and each fills the whole cap."""
    cap, promoters = 10, 4
    for uid in range(1, 61):
        _join(uid)
    keys = redis_queue.concert_keys(CONCERT)
    all_have_counted = threading.Barrier(promoters)

    def admit_in_separate_commands(_) -> list[int]:
        free = cap - redis_client.zcard(keys.active)
        all_have_counted.wait(timeout=30)
        popped = redis_client.zpopmin(keys.waiting, free)
        for uid, _score in popped:
            redis_client.zadd(keys.active, {uid: NOW + 300_000})
        return [int(uid) for uid, _score in popped]

    admitted = returned_values(run_concurrently(admit_in_separate_commands, range(promoters)))

    assert [len(batch) for batch in admitted] == [cap] * promoters
    assert redis_client.zcard(keys.active) == promoters * cap  # 40 slots under a cap of 10


def test_concurrent_promoters_without_releases_fill_exactly_the_cap(redis_client):
    for uid in range(1, 301):
        _join(uid)
    results = returned_values(
        run_concurrently(
            lambda _: (
                redis_queue.admit(
                    CONCERT,
                    now_ms=NOW,
                    slot_ms=300_000,
                    default_cap=50,
                    per_minute=0,
                    abandon_ms=ABANDON_MS,
                ).admitted
            ),
            range(8),
        )
    )
    admitted = [uid for batch in results for uid in batch]
    assert sorted(admitted) == list(range(1, 51))  # the first 50, in FIFO, once each
    assert redis_client.zcard(redis_queue.concert_keys(CONCERT).active) == 50


# --- Services, with QueueEntry rows written from many threads: PostgreSQL ----------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_200_fans_joining_at_once_through_the_service(concert, fans):
    line = fans(200)
    states = returned_values(
        run_concurrently(lambda fan: services.queue_join(user_id=fan.pk, concert=concert), line)
    )
    assert sorted(s.position for s in states) == list(range(1, 201))
    assert QueueEntry.objects.filter(concert=concert).count() == 200
    sequences = QueueEntry.objects.filter(concert=concert).values_list("sequence", flat=True)
    assert sorted(sequences) == list(range(1, 201))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fan_double_clicking_50_times_through_the_service(concert, fans):
    (fan,) = fans(1)
    states = returned_values(
        run_concurrently(lambda _: services.queue_join(user_id=fan.pk, concert=concert), range(50))
    )
    assert {s.position for s in states} == {1}
    assert QueueEntry.objects.filter(concert=concert).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_promoter_services_never_exceed_the_cap(concert, fans, settings, redis_client):
    settings.QUEUE_MAX_ACTIVE_USERS = 10
    line = fans(60)
    for fan in line:
        services.queue_join(user_id=fan.pk, concert=concert)
    results = returned_values(
        run_concurrently(lambda _: services.queue_admit_next(concert_id=concert.pk), range(4))
    )
    admitted = [uid for batch in results for uid in batch]
    assert sorted(admitted) == sorted(f.pk for f in line[:10])
    assert redis_client.zcard(redis_queue.concert_keys(concert.pk).active) == 10
    assert QueueEntry.objects.filter(status=QueueEntry.Status.ACTIVE).count() == 10
