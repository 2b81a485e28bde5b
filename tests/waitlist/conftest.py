"""Fixtures for the waiting list: a sold-out category, fans on its list, seats coming back."""

from __future__ import annotations

import pytest

from bookings import services as booking_services
from bookings.models import Booking
from outbox.services import outbox_drain
from tests.factories import BookingFactory, ConcertFactory, FanFactory, TicketCategoryFactory
from waitlist import services
from waitlist.models import WaitlistEntry, WaitlistOffer


@pytest.fixture(autouse=True)
def _fast_fans(fast_fans):
    """The fake provider and fast password hashing (tests/conftest.py fast_fans)."""


@pytest.fixture
def concert():
    return ConcertFactory()


@pytest.fixture
def category(concert):
    """Six seats, all taken by three pending bookings of 2 (the holders): sold out."""
    category = TicketCategoryFactory(concert=concert, name="Stalls", total_seats=6)
    for _ in range(3):
        BookingFactory(category=category, quantity=2)
    category.refresh_from_db()
    assert category.available_seats == 0
    return category


@pytest.fixture
def holders(category) -> list[Booking]:
    return list(Booking.objects.filter(category=category).order_by("pk"))


@pytest.fixture
def fans():
    return [FanFactory() for _ in range(4)]


@pytest.fixture
def on_list(category, fans):
    """Fans 0..2 join the list in order, wanting 2, 2 and 1 seats."""
    wanted = [2, 2, 1]
    return [
        services.waitlist_join(user=fan, category_id=category.pk, quantity=quantity)
        for fan, quantity in zip(fans, wanted, strict=False)
    ]


def give_back(booking: Booking) -> None:
    """A holder cancels: seats_release runs, and the outbox's seats_returned is delivered."""
    booking_services.booking_cancel(user=booking.user)
    deliver_all()


def deliver_all() -> None:
    """Drain the outbox until it is empty (a delivery may enqueue more: offer emails)."""
    while outbox_drain():
        pass


def seats_balance(category) -> tuple[int, int, int, int, int]:
    """(available, pending, confirmed, open offers, total) from the database."""
    category.refresh_from_db()
    bookings = Booking.objects.filter(category=category)
    pending = sum(b.quantity for b in bookings.filter(status=Booking.Status.PENDING))
    confirmed = sum(b.quantity for b in bookings.filter(status=Booking.Status.CONFIRMED))
    offered = sum(
        o.quantity
        for o in WaitlistOffer.objects.filter(category=category, status=WaitlistOffer.Status.OPEN)
    )
    return category.available_seats, pending, confirmed, offered, category.total_seats


def assert_seats_balance(category) -> None:
    available, pending, confirmed, offered, total = seats_balance(category)
    assert available >= 0
    assert available + pending + confirmed + offered == total


def entry_statuses(entries: list[WaitlistEntry]) -> list[str]:
    return [WaitlistEntry.objects.get(pk=e.pk).status for e in entries]
