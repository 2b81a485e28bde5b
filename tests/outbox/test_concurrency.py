"""Racing drains and dispatches deliver each outbox message once (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from outbox import registry, services
from outbox.models import OutboxMessage
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KIND = "tests.counted"
MESSAGES = 40


@pytest.fixture
def counted():
    """A handler that counts how often each message's payload was delivered."""
    calls: Counter = Counter()
    lock = threading.Lock()

    def handler(payload: dict) -> None:
        with lock:
            calls[payload["n"]] += 1

    registry._HANDLERS.pop(KIND, None)
    registry.outbox_handler_register(KIND, handler)
    yield calls
    registry._HANDLERS.pop(KIND, None)


def _race(message_ids: list[int]) -> None:
    # Eight drains and, for every message, its own immediate dispatch, all at once.
    jobs = [("drain", None)] * 8 + [("deliver", pk) for pk in message_ids]

    def run(job):
        what, pk = job
        if what == "drain":
            return services.outbox_drain(batch_size=5)
        return services.outbox_deliver(message_id=pk)

    outcomes = run_concurrently(run, jobs, threads=16)
    assert not [o for o in outcomes if isinstance(o, Exception)]


def test_racing_drains_and_dispatches_deliver_each_message_once(counted):
    ids = [services.outbox_enqueue(kind=KIND, payload={"n": n}).pk for n in range(MESSAGES)]

    _race(ids)

    assert counted == Counter(range(MESSAGES))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}


@pytest.mark.control
def test_without_the_conditional_claim_messages_are_delivered_twice(counted, monkeypatch):
    ids = [services.outbox_enqueue(kind=KIND, payload={"n": n}).pk for n in range(MESSAGES)]
    monkeypatch.setattr(services, "_claim", lambda **kwargs: True)

    _race(ids)

    assert max(counted.values()) > 1
