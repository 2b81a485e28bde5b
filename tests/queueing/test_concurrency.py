"""Races the waiting room must win, with real threads against real Redis (and PostgreSQL).

The Redis-level tests run on every CI run; the service-level ones, which also write
QueueEntry rows from many threads, need PostgreSQL.
"""

from threading import Event, Thread

import pytest
from django.utils import timezone

from queueing import redis_queue, services
from queueing.models import QueueEntry
from tests.concurrency import MAX_REDIS_THREADS, returned_values, run_concurrently

NOW = int(timezone.now().timestamp() * 1000)
ABANDON_MS = 300_000
CONCERT = 7


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
