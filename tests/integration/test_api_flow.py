"""The whole purchase over the JSON API: join -> admitted -> hold -> intent -> pay -> confirm
-> confirmation email -> the slot goes back to the line.

`test_the_api_flow_from_the_line_to_a_ticket` runs on every suite with eager tasks (and on
the Redis Cluster in `make test-cluster`). The broker variant starts a real Celery worker
with beat against CELERY_BROKER_URL (RabbitMQ in `make test-rabbitmq`): admission, the
email and the beat schedule then really travel through the broker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core import mail
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from config.celery import app as celery_app
from queueing.models import QueueEntry
from queueing.tasks import admit_all_concerts
from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory
from tests.processes import celery_worker_with_beat

CARD_OK = "4242424242424242"


@pytest.fixture(autouse=True)
def _fake_payments(settings):
    settings.PAYMENT_PROVIDER = "fake"
    settings.PAYMENT_PROVIDER_FAKE_ALLOWED = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _fan_client() -> APIClient:
    user = UserFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    client.user = user
    return client


def _eventually(check: Callable[[], object], *, timeout: float, what: str):
    """The check's first truthy answer; gives a real worker `timeout` seconds to act."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            assert answer, f"timed out after {timeout}s waiting for {what}"
            return answer
        time.sleep(0.2)


def _buy_one_ticket(*, tick: Callable[[], object], mail_to: Callable[[str], bool], timeout):
    """Drive one fan through the API; returns (the confirmed booking json, the fan).

    Joining admits nobody by itself: `tick` stands for beat's admission task.
    """
    category = TicketCategoryFactory(concert=ConcertFactory(), total_seats=10)
    concert_id = category.concert_id
    fan = _fan_client()

    joined = fan.post("/api/v1/queue/join", {"concert_id": concert_id}, format="json")
    assert joined.status_code == 200, joined.content
    assert joined.json()["status"] == "waiting"
    tick()

    def active():
        state = fan.get("/api/v1/queue/status", {"concert_id": concert_id}).json()
        return state if state["status"] == "active" else None

    assert _eventually(active, timeout=timeout, what="admission")["active_until"]

    held = fan.post("/api/v1/booking/", {"category_id": category.pk, "quantity": 2}, format="json")
    assert held.status_code == 201, held.content
    booking = held.json()
    intent = fan.post("/api/v1/payment/create-intent", {"booking_id": booking["id"]}, format="json")
    assert intent.status_code == 201, intent.content
    intent_id = intent.json()["payment_intent_id"]
    paid = fan.post(
        f"/api/v1/payment/fake/{intent_id}/pay", {"card_number": CARD_OK}, format="json"
    )
    assert paid.json()["status"] == "succeeded"
    confirmed = fan.patch(
        f"/api/v1/booking/{booking['id']}/confirm", {"payment_intent_id": intent_id}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    assert len(confirmed.json()["tickets"]) == 2

    _eventually(lambda: mail_to(fan.user.email), timeout=timeout, what="the confirmation email")
    state = fan.get("/api/v1/queue/status", {"concert_id": concert_id}).json()
    assert state["status"] == "none"  # the slot went back to the line
    entry = QueueEntry.objects.get(user=fan.user, concert_id=concert_id)
    assert entry.status == QueueEntry.Status.COMPLETED
    return confirmed.json(), fan


@pytest.mark.django_db(transaction=True)
def test_the_api_flow_from_the_line_to_a_ticket():
    booking, _ = _buy_one_ticket(
        tick=admit_all_concerts.delay,
        mail_to=lambda email: any(email in message.to for message in mail.outbox),
        timeout=0,
    )
    assert booking["confirmed_at"]


# --- With a real worker and beat on the configured broker -----------------------------------
broker_only = pytest.mark.skipif(
    os.environ.get("BOXOFFICE_BROKER_TESTS") != "1",
    reason="starts a Celery worker: set BOXOFFICE_BROKER_TESTS=1 (make test-rabbitmq does)",
)


@pytest.fixture
def celery_worker_process(tmp_path) -> Iterator[Path]:
    """A `celery worker -B` subprocess on the test database; yields its email directory."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with celery_worker_with_beat(
            tmp_path, name="flow", env={"QUEUE_PROMOTION_INTERVAL_SECONDS": "1"}
        ) as mail_dir:
            yield mail_dir
    finally:
        celery_app.conf.task_always_eager = eager


@broker_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_api_flow_with_a_real_worker_and_beat_on_the_broker(celery_worker_process):
    def mail_to(email: str) -> bool:
        return any(email in path.read_text() for path in celery_worker_process.glob("*.log"))

    # No tick from here: beat (every second) sends admit_all_concerts through the broker and
    # the worker runs it; the confirmation email also goes through the broker.
    booking, fan = _buy_one_ticket(
        tick=lambda: None,
        mail_to=mail_to,
        timeout=60,
    )
    assert booking["reference"]
    emails = "".join(path.read_text() for path in celery_worker_process.glob("*.log"))
    assert booking["reference"] in emails
