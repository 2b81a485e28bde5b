"""outbox.services: must-happen side effects are written with their cause and delivered."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from bookings.models import Booking
from checkout import services as checkout
from outbox import services
from outbox.models import OutboxMessage
from outbox.registry import outbox_handler_register
from outbox.tasks import outbox_deliver as outbox_deliver_task
from queueing import services as queue_services

pytestmark = pytest.mark.django_db

FLAKY = "tests.flaky"


@pytest.fixture
def flaky_handler():
    """A registered handler that fails `fail_times` times, then records its payloads."""

    class Flaky:
        fail_times = 0
        delivered: list[dict] = []

        def __call__(self, payload: dict) -> None:
            if self.fail_times:
                self.fail_times -= 1
                raise ConnectionError("smtp down")
            self.delivered.append(payload)

    handler = Flaky()
    handler.delivered = []
    from outbox import registry

    registry._HANDLERS.pop(FLAKY, None)
    outbox_handler_register(FLAKY, handler)
    yield handler
    registry._HANDLERS.pop(FLAKY, None)


@pytest.fixture
def broker_down(monkeypatch):
    """Publishing to the broker fails as kombu does when Redis/RabbitMQ is unreachable."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(kwargs)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(outbox_deliver_task, "apply_async", refuse)
    return attempts


def test_a_message_rolls_back_with_its_cause(flaky_handler):
    def cause_that_fails() -> None:
        with transaction.atomic():
            services.outbox_enqueue(kind=FLAKY, payload={"n": 1})
            raise RuntimeError("the cause failed")

    with pytest.raises(RuntimeError):
        cause_that_fails()

    assert not OutboxMessage.objects.exists()


def test_a_message_is_delivered_right_after_commit(
    flaky_handler, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = services.outbox_enqueue(kind=FLAKY, payload={"n": 1})

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED
    assert message.delivered_at is not None
    assert message.attempts == 1
    assert flaky_handler.delivered == [{"n": 1}]


def test_delivering_twice_runs_the_handler_once(flaky_handler):
    message = services.outbox_enqueue(kind=FLAKY, payload={"n": 1})

    assert services.outbox_deliver(message_id=message.pk) is True
    assert services.outbox_deliver(message_id=message.pk) is False
    assert services.outbox_drain() == 0
    assert flaky_handler.delivered == [{"n": 1}]


def test_a_claimed_message_is_not_delivered_again_until_its_lease_ends(flaky_handler, settings):
    message = services.outbox_enqueue(kind=FLAKY, payload={"n": 1})
    # A worker claimed it and died before delivering (attempt counted, lease running).
    assert services._claim(message_id=message.pk, now=timezone.now())

    assert services.outbox_drain() == 0
    later = timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
    assert services.outbox_drain(now=later) == 1
    assert flaky_handler.delivered == [{"n": 1}]


def test_a_failing_handler_is_retried_with_backoff_then_delivered(flaky_handler):
    flaky_handler.fail_times = 2
    message = services.outbox_enqueue(kind=FLAKY, payload={"n": 1})
    start = timezone.now()

    with time_machine.travel(start, tick=False) as clock:
        assert services.outbox_deliver(message_id=message.pk) is False
        message.refresh_from_db()
        assert message.status == OutboxMessage.Status.PENDING
        assert "smtp down" in message.last_error
        assert message.next_attempt_at == start + timedelta(seconds=1)
        assert services.outbox_drain() == 0  # not due yet

        clock.shift(1)
        assert services.outbox_drain() == 0  # fails again: next in 2 s
        message.refresh_from_db()
        assert message.next_attempt_at == start + timedelta(seconds=3)

        clock.shift(2)
        assert services.outbox_drain() == 1

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED
    assert message.attempts == 3
    assert flaky_handler.delivered == [{"n": 1}]


def test_after_its_last_attempt_a_message_fails_and_retry_now_revives_it(
    flaky_handler, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    flaky_handler.fail_times = 2
    message = services.outbox_enqueue(kind=FLAKY, payload={"n": 1})
    with time_machine.travel(timezone.now(), tick=False) as clock:
        services.outbox_deliver(message_id=message.pk)
        clock.shift(60)
        services.outbox_drain()
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.FAILED
    assert services.outbox_drain(now=timezone.now() + timedelta(days=1)) == 0

    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_retry_now(message_ids=[message.pk]) == 1

    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.DELIVERED
    assert flaky_handler.delivered == [{"n": 1}]


def test_a_message_without_a_handler_waits_instead_of_vanishing():
    message = services.outbox_enqueue(kind="tests.nobody", payload={})

    assert services.outbox_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert services.MSG_NO_HANDLER in message.last_error


def test_a_broker_outage_is_logged_and_the_drain_delivers(
    flaky_handler, broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = services.outbox_enqueue(kind=FLAKY, payload={"n": 1})

    assert len(broker_down) == 1
    assert "the drain will deliver it" in caplog.text
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING
    assert services.outbox_drain() == 1
    assert flaky_handler.delivered == [{"n": 1}]


# --- the effects of a purchase -------------------------------------------------------------


def test_a_confirmation_with_the_broker_down_commits_and_keeps_its_effects(
    user,
    category,
    hold,
    provider_paid,
    broker_down,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    booking = hold(user, category, 2)
    intent_id = provider_paid(booking)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)

    assert outcome.status == checkout.ConfirmStatus.CONFIRMED
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    assert sorted(pending.values_list("kind", flat=True)) == [
        "bookings.confirmation_email",
        "queueing.slot_release",
    ]
    assert mailoutbox == []
    assert queue_services.queue_slot_is_active(user_id=user.pk, concert_id=category.concert_id)

    # The broker is back: beat's drain delivers both.
    assert services.outbox_drain() == 2
    assert len(mailoutbox) == 1
    assert booking.reference in mailoutbox[0].subject
    assert not queue_services.queue_slot_is_active(user_id=user.pk, concert_id=category.concert_id)


def test_a_slot_release_failing_on_redis_is_retried(
    user, category, hold, provider_paid, monkeypatch, django_capture_on_commit_callbacks
):
    booking = hold(user, category, 1)
    intent_id = provider_paid(booking)
    real_release = queue_services.redis_queue.release

    def redis_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(queue_services.redis_queue, "release", redis_down)
    with django_capture_on_commit_callbacks(execute=True):
        checkout.booking_confirm(booking_id=booking.pk, payment_intent_id=intent_id)
    release = OutboxMessage.objects.get(kind="queueing.slot_release")
    assert release.status == OutboxMessage.Status.PENDING
    assert "Redis is down" in release.last_error

    monkeypatch.setattr(queue_services.redis_queue, "release", real_release)
    assert services.outbox_drain(now=timezone.now() + timedelta(seconds=5)) == 1
    assert not queue_services.queue_slot_is_active(user_id=user.pk, concert_id=category.concert_id)
