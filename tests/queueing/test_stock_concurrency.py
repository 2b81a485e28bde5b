"""No fan is admitted while no seat is free: a real rush on PostgreSQL and Redis.

Two turnstile ticks run at once in a loop while 20 fans poll their state and, when
admitted, hold and buy 2 tickets. 12 seats: 6 fans buy, and every fan admitted finds the
seats they came for (no `insufficient_seats`). The control runs the same rush with the
turnstile blind to stock (as before issue #12): fans are admitted to find nothing.
"""

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from bookings import services as booking_services
from bookings.models import Booking
from concerts.models import TicketCategory
from queueing import redis_queue, services
from queueing.models import QueueEntry
from queueing.state import LineState, QueueStatus
from tests.concurrency import outcome_codes, returned_values, run_concurrently
from tests.factories import ConcertFactory, TicketCategoryFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SEATS, FANS, EACH = 12, 20, 2


@pytest.fixture
def rush(settings):
    settings.QUEUE_SEATS_PER_ADMISSION = EACH
    settings.MAX_TICKETS_PER_BOOKING = EACH
    settings.QUEUE_MAX_ACTIVE_USERS = 50
    settings.QUEUE_ABANDON_SECONDS = 3600
    settings.CELERY_TASK_ALWAYS_EAGER = False  # the ticks below are the only turnstile
    concert = ConcertFactory()
    category = TicketCategoryFactory(concert=concert, total_seats=SEATS)
    redis_queue.clear(concert.pk)
    fans = UserFactory.create_batch(FANS)
    for fan in fans:
        services.queue_join(user_id=fan.pk, concert=concert)
    return concert, category, fans


def _run_rush(concert, category, fans) -> list:
    done = threading.Event()

    def ticker() -> str:
        try:
            while not done.is_set():
                services.queue_admit_next(concert_id=concert.pk)
                time.sleep(0.005)
        finally:
            connection.close()
        return "ticker"

    def fan_turn(fan) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = services.queue_status(user_id=fan.pk, concert_id=concert.pk)
            if state.status == QueueStatus.ACTIVE:
                booking = booking_services.booking_create(
                    user=fan, category_id=category.pk, quantity=EACH
                )
                Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CONFIRMED)
                services.queue_slot_release(user_id=fan.pk, concert_id=concert.pk)
                return "bought"
            if state.status == QueueStatus.NONE:
                return f"told {state.line.value}"
            time.sleep(0.01)
        return "timed out"

    finished = []
    lock = threading.Lock()

    def work(arg):
        if arg == "tick":
            return ticker()
        try:
            return fan_turn(arg)
        finally:
            with lock:
                finished.append(arg)
                if len(finished) == FANS:
                    done.set()

    return run_concurrently(work, ["tick", "tick", *fans], threads=FANS + 2, timeout=120)


def test_every_fan_admitted_finds_seats_and_the_rest_are_told_sold_out(rush):
    concert, category, fans = rush
    results = _run_rush(concert, category, fans)[2:]

    assert Counter(returned_values(results)) == {
        "bought": SEATS // EACH,
        "told sold_out": FANS - SEATS // EACH,
    }
    assert TicketCategory.objects.get(pk=category.pk).available_seats == 0
    assert QueueEntry.objects.filter(
        concert=concert, status=QueueEntry.Status.SOLD_OUT
    ).count() == (FANS - SEATS // EACH)
    later = services.queue_status(user_id=fans[-1].pk, concert_id=concert.pk)
    assert later.line == LineState.SOLD_OUT


@pytest.mark.control
def test_control_a_turnstile_blind_to_stock_admits_fans_to_nothing(rush, monkeypatch):
    concert, category, fans = rush
    monkeypatch.setattr(services, "_stock", lambda concert_id: None)
    results = _run_rush_until_refused(concert, category, fans)
    # Everyone was let in; most of them find nothing.
    assert outcome_codes(results) == {
        "ok": SEATS // EACH,
        "insufficient_seats": FANS - SEATS // EACH,
    }


def _run_rush_until_refused(concert, category, fans) -> list:
    """The control's rush: one tick admits everyone (no stock to stop it), then all hold."""
    services.queue_admit_next(concert_id=concert.pk)

    def hold(fan):
        return booking_services.booking_create(user=fan, category_id=category.pk, quantity=EACH)

    return run_concurrently(hold, fans)
