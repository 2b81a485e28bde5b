from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory


@pytest.fixture
def concert(db):
    """A published concert on sale (opened an hour ago) with 100 seats."""
    concert = ConcertFactory()
    TicketCategoryFactory(concert=concert, total_seats=100)
    return concert


@pytest.fixture
def upcoming_concert(db):
    """A concert whose sale opens in 10 minutes: its pre-queue is open."""
    concert = ConcertFactory(sale_starts_at=timezone.now() + timedelta(minutes=10))
    TicketCategoryFactory(concert=concert, total_seats=100)
    return concert


@pytest.fixture
def fans(db):
    def make(count: int):
        return UserFactory.create_batch(count)

    return make


@pytest.fixture
def admit_all(settings):
    """Admit everybody waiting in one tick (a cap larger than any test's line)."""
    settings.QUEUE_MAX_ACTIVE_USERS = 10_000


@pytest.fixture(autouse=True)
def _fast_password_hashing(fast_fans):
    """Many fans per test (tests/conftest.py fast_fans)."""


@pytest.fixture
def redis_client():
    """Here the queue's Redis: a cluster client when QUEUE_REDIS_CLUSTER=1 (make test-cluster)."""
    from config.redis import get_queue_redis

    return get_queue_redis()
