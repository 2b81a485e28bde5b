"""Two schedulers sending the expiry sweep at once: no hold is released twice.

Each booking's expiry is one conditional transition (pending -> expired) and only its
winner returns the seats. The control sweeps the obvious way (list the overdue holds,
then mark and release each without the status condition): doubled, it returns seats twice.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from concerts.models import TicketCategory
from tests.bookings.conftest import assert_seats_balance
from tests.factories import TicketCategoryFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OVERDUE, FRESH = 40, 50


@pytest.fixture
def holds(concert):
    """100 seats: 40 holds past their time, 50 still running, 10 seats free."""
    category = TicketCategoryFactory(concert=concert, total_seats=100)
    users = get_user_model().objects.bulk_create(
        get_user_model()(email=f"holder{n}@example.com", password="!")
        for n in range(OVERDUE + FRESH)
    )
    now = timezone.now()
    Booking.objects.bulk_create(
        Booking(
            user=user,
            concert=concert,
            category=category,
            quantity=1,
            unit_price=category.price,
            total_amount=category.price,
            currency=category.currency.lower(),
            status=Booking.Status.PENDING,
            expires_at=now + timedelta(seconds=-5 if n < OVERDUE else 600),
        )
        for n, user in enumerate(users)
    )
    TicketCategory.objects.filter(pk=category.pk).update(available_seats=100 - OVERDUE - FRESH)
    return category


def _naive_sweep(both_have_listed: threading.Barrier) -> None:
    overdue = list(
        Booking.objects.filter(status=Booking.Status.PENDING, expires_at__lte=timezone.now())
    )
    both_have_listed.wait(timeout=30)
    for booking in overdue:
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.EXPIRED)
        TicketCategory.objects.filter(pk=booking.category_id).update(
            available_seats=F("available_seats") + booking.quantity
        )


def _two_at_once(sweep) -> None:
    def run() -> None:
        try:
            sweep()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_two_sweeps_at_once_release_each_overdue_hold_once(holds):
    for _round in range(3):  # the later rounds find nothing left to do
        start = threading.Barrier(2)

        def sweep(start=start) -> None:
            start.wait(timeout=30)
            services.booking_expire_overdue()

        _two_at_once(sweep)
    holds.refresh_from_db()
    assert Booking.objects.filter(status=Booking.Status.EXPIRED).count() == OVERDUE
    assert holds.available_seats == 100 - FRESH
    assert_seats_balance(holds)


def test_a_naive_sweep_doubled_releases_seats_twice(holds):
    """Control: the same check catches a sweep that does not make the transition conditional."""
    both_have_listed = threading.Barrier(2)
    _two_at_once(lambda: _naive_sweep(both_have_listed))
    holds.refresh_from_db()
    assert holds.available_seats == 100 - FRESH + OVERDUE  # 40 seats that do not exist
