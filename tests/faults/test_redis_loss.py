"""Redis is killed mid-sale and comes back empty while fans keep polling and re-joining.

Nobody runs `rebuild_queue`: the first join, tick or poll that finds the concert's state
missing rebuilds it from PostgreSQL. The line must come back in its order (at least 99% of
pairs), within the cap, with nobody who bought holding a slot.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis

from queueing import redis_queue, services
from queueing.errors import QueueRebuilding
from queueing.models import QueueEntry
from tests.concurrency import MAX_DB_THREADS, run_concurrently
from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory

pytestmark = [
    pytest.mark.fault,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

CAP = 20
FANS = 300


def _ordered_pairs(order: list[int], final_rank: dict[int, tuple]) -> float:
    """The share of pairs (a before b in `order`) that still come in that order."""
    ranks = [final_rank[user] for user in order]
    kept = total = 0
    for i, earlier in enumerate(ranks):
        for later in ranks[i + 1 :]:
            total += 1
            kept += earlier <= later
    return kept / total if total else 1.0


def test_redis_killed_mid_sale_comes_back_in_order_within_the_cap(queue_on_own_redis, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = CAP
    settings.QUEUE_ABANDON_SECONDS = 600
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    concert = ConcertFactory()
    TicketCategoryFactory(concert=concert, total_seats=10_000)
    fans = UserFactory.create_batch(FANS)
    for fan in fans:
        services.queue_join(user_id=fan.pk, concert=concert)
    admitted = services.queue_admit_next(concert_id=concert.pk)
    assert len(admitted) == CAP
    buyers = admitted[:8]
    for user_id in buyers:  # they bought: their slots go back to the line
        services.queue_slot_release(user_id=user_id, concert_id=concert.pk)
    still_waiting = list(
        QueueEntry.objects.filter(concert=concert, status=QueueEntry.Status.WAITING)
        .order_by("sequence")
        .values_list("user_id", flat=True)
    )

    queue_on_own_redis.restart_empty(down_seconds=0.5)  # SIGKILL, then an empty Redis

    stop = threading.Event()
    most_active = [0]
    refused = {"rebuilding": 0, "connection": 0}

    def ticker() -> None:
        from django.db import connection

        try:
            while not stop.is_set():
                try:
                    services.queue_admit_next(concert_id=concert.pk)
                except redis.ConnectionError:
                    refused["connection"] += 1
                active = redis_queue.snapshot(concert.pk, now_ms=int(time.time() * 1000)).active
                most_active[0] = max(most_active[0], active)
                time.sleep(0.05)
        finally:
            connection.close()

    def page(fan) -> None:
        """One fan's page: re-join on load, then poll a few times, sometimes reload."""
        rng = random.Random(fan.pk)
        for _ in range(4):
            try:
                if rng.random() < 0.5:
                    services.queue_join(user_id=fan.pk, concert=concert)
                else:
                    services.queue_status(user_id=fan.pk, concert_id=concert.pk)
            except QueueRebuilding:
                refused["rebuilding"] += 1

    tick = threading.Thread(target=ticker, daemon=True)
    tick.start()
    try:
        shuffled = [fan for fan in fans if fan.pk not in buyers]  # buyers left the page
        random.Random(16).shuffle(shuffled)
        results = run_concurrently(page, shuffled, threads=MAX_DB_THREADS)
    finally:
        stop.set()
        tick.join(timeout=30)
    assert not [r for r in results if isinstance(r, Exception)]

    client = queue_on_own_redis.client()
    keys = redis_queue.concert_keys(concert.pk)
    # Five fans holding a slot buy after the loss: their slots go to the next five in line.
    late_buyers = [int(u) for u in client.zrange(keys.active, 0, 4)]
    for user_id in late_buyers:
        services.queue_slot_release(user_id=user_id, concert_id=concert.pk)
    buyers = [*buyers, *late_buyers]
    now_ms = int(time.time() * 1000)
    active_now = {int(u) for u in client.zrangebyscore(keys.active, f"({now_ms}", "+inf")}
    entries = {e.user_id: e for e in QueueEntry.objects.filter(concert=concert)}
    # Where each fan who was waiting stands now: admitted (by admission time) before
    # still waiting (by place in line).
    positions = {int(u): rank for rank, u in enumerate(client.zrange(keys.waiting, 0, -1))}
    final_rank = {}
    for user_id in still_waiting:
        entry = entries[user_id]
        if user_id in positions:
            final_rank[user_id] = (1, positions[user_id], 0.0)
        else:
            assert entry.admitted_at is not None, f"fan {user_id} fell out of the line"
            final_rank[user_id] = (0, 0, entry.admitted_at.timestamp())

    assert _ordered_pairs(still_waiting, final_rank) >= 0.99
    assert most_active[0] <= CAP
    assert len(active_now) <= CAP
    assert not active_now & set(buyers)  # no phantom slot for a fan who bought
    assert all(entries[b].status == QueueEntry.Status.COMPLETED for b in buyers)
    # The line kept moving after the loss: the freed slots went to the next fans in line.
    assert [u for u in still_waiting if final_rank[u][0] == 0] == still_waiting[:5]
    # The join counter went on from the durable record: no sequence handed out twice.
    sequences = [e.sequence for e in entries.values() if e.sequence is not None]
    assert len(sequences) == len(set(sequences))
