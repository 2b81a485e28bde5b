"""The worker and beat are killed mid-sale, and Redis (their broker and the line) restarts
empty under a running worker: the sale goes on by itself.

A real `celery worker` and `celery beat`, each under `config.supervise` as in the Procfile,
on a redis-server of the test's own and the test database. The test plays the fans who
hold a slot: each buys at once, so only beat's ticks (through the worker) admit anyone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from queueing import redis_queue, services
from queueing.models import QueueEntry
from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory
from tests.faults.conftest import children_of, stop_group

pytestmark = [
    pytest.mark.fault,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(settings.BASE_DIR)
CAP = 3
FANS = 24


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_supervised(tmp_path, queue_on_own_redis) -> Iterator[Callable[..., subprocess.Popen]]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": queue_on_own_redis.url,
        "QUEUE_REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "QUEUE_PROMOTION_INTERVAL_SECONDS": "1",
        "QUEUE_MAX_ACTIVE_USERS": str(CAP),
        "DEBUG": "1",
    }
    env.pop("QUEUE_REDIS_URL")
    env.pop("CELERY_BROKER_URL")
    started: list[tuple[subprocess.Popen, object]] = []

    def start(name: str, *celery_args: str) -> subprocess.Popen:
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "config.supervise", sys.executable, "-m", "celery", "-A"]
            + ["config", *celery_args, "--loglevel", "INFO"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped whole
        )
        started.append((process, log))
        return process

    try:
        yield start
    finally:
        for process, log in started:
            stop_group(process)
            log.close()
        for path in sorted(tmp_path.glob("*.log")):
            print(f"--- {path.name}\n{path.read_text()[-3000:]}")  # shown on failure


def _child(supervisor: subprocess.Popen, *, timeout: float = 30) -> int:
    """The celery process the supervisor runs now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = children_of(supervisor.pid)
        if children:
            return children[0]
        time.sleep(0.1)
    raise AssertionError("the supervisor runs no celery process")


def _buy_for_every_active_fan(concert_id: int, client: redis.Redis) -> int:
    """Every fan holding a slot buys: the slot ends and the record says completed (as
    queue_slot_release does, minus its immediate admission, so only beat admits)."""
    now_ms = int(time.time() * 1000)
    keys = redis_queue.concert_keys(concert_id)
    try:
        active = [int(u) for u in client.zrangebyscore(keys.active, f"({now_ms}", "+inf")]
        if active:
            client.zrem(keys.active, *active)
    except redis.ConnectionError:
        return 0  # Redis is down for a moment
    QueueEntry.objects.filter(
        concert_id=concert_id, user_id__in=active, status=QueueEntry.Status.ACTIVE
    ).update(status=QueueEntry.Status.COMPLETED, finished_at=timezone.now())
    return len(active)


def test_worker_and_beat_killed_and_redis_restarted_mid_sale_lose_no_admission(
    start_supervised, queue_on_own_redis, settings
):
    import signal

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    concert = ConcertFactory()
    TicketCategoryFactory(concert=concert, total_seats=1000)
    fans = UserFactory.create_batch(FANS)
    for fan in fans:
        services.queue_join(user_id=fan.pk, concert=concert)
    worker = start_supervised(
        "worker", "worker", "--concurrency", "1", "--without-gossip", "--without-mingle"
    )
    beat = start_supervised("beat", "beat")
    client = queue_on_own_redis.client()

    def completed() -> int:
        return QueueEntry.objects.filter(
            concert=concert, status=QueueEntry.Status.COMPLETED
        ).count()

    def sell_until(count: int, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while completed() < count:
            assert time.monotonic() < deadline, f"stalled at {completed()} of {count} sold"
            _buy_for_every_active_fan(concert.pk, client)
            time.sleep(0.2)

    sell_until(6, timeout=60)
    # The worker and beat die (SIGKILL: no clean-up); their supervisors start them again.
    first_worker, first_beat = _child(worker), _child(beat)
    os.kill(first_worker, signal.SIGKILL)
    os.kill(first_beat, signal.SIGKILL)
    sell_until(12, timeout=60)
    assert _child(worker) != first_worker
    assert _child(beat) != first_beat

    # Redis dies with tasks in flight and comes back empty: the worker reconnects (the same
    # process), and the next tick rebuilds the line from PostgreSQL.
    surviving_worker = _child(worker)
    queue_on_own_redis.restart_empty(down_seconds=2)
    sell_until(FANS, timeout=90)

    assert _child(worker) == surviving_worker, "the worker exited on the broker restart"
    assert worker.poll() is None
    assert beat.poll() is None
    entries = list(QueueEntry.objects.filter(concert=concert).order_by("sequence"))
    assert all(e.status == QueueEntry.Status.COMPLETED for e in entries)
    admitted_at = [e.admitted_at for e in entries]
    assert admitted_at == sorted(admitted_at), "admitted out of join order"
