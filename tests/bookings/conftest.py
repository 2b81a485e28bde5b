"""Fixtures for the booking lifecycle: categories, queue slots, holds and payments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import services
from bookings.models import Booking
from payments import services as payment_services
from payments.providers.fake_provider import FakeProvider
from queueing import services as queue_services
from tests.factories import ConcertFactory, TicketCategoryFactory

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"


@pytest.fixture(autouse=True)
def _fake_payments(fast_fans):
    """The fake provider and fast password hashing (tests/conftest.py fast_fans)."""


@pytest.fixture
def concert():
    return ConcertFactory()


@pytest.fixture
def category(concert):
    return TicketCategoryFactory(concert=concert, name="Stalls", total_seats=100)


@pytest.fixture
def give_slot(settings):
    """Admit a fan through the real waiting room (queue_join + queue_admit_next).

    Each admitted fan who has not held yet reserves one seat of those left (not a whole
    booking's worth): these tests are about bookings and payments, and hand slots to fans
    in small categories at will (tests/queueing/test_stock.py tests admission by stock)."""
    settings.QUEUE_SEATS_PER_ADMISSION = 1

    def give(user, concert) -> None:
        queue_services.queue_join(user_id=user.pk, concert=concert)
        queue_services.queue_admit_next(concert_id=concert.pk)
        assert queue_services.queue_slot_is_active(user_id=user.pk, concert_id=concert.pk)

    return give


@pytest.fixture
def hold(give_slot):
    """A pending booking made by the real service, the fan admitted first."""

    def make(user, category, quantity: int = 2) -> Booking:
        if not queue_services.queue_slot_is_active(user_id=user.pk, concert_id=category.concert_id):
            give_slot(user, category.concert)
        return services.booking_create(user=user, category_id=category.pk, quantity=quantity)

    return make


@pytest.fixture
def provider_paid():
    """Pay the booking at the (fake) provider without running our succeeded handler: the
    money moved, the booking does not know yet. Returns the intent id."""

    def pay(booking: Booking) -> str:
        payment = payment_services.payment_intent_create(booking=booking)
        FakeProvider().intent_pay(intent_id=payment.intent_id, card_number=CARD_OK)
        return payment.intent_id

    return pay


@pytest.fixture
def overdue():
    """Move a pending booking's hold into the past (as if the clock ran on)."""

    def push(booking: Booking) -> Booking:
        Booking.objects.filter(pk=booking.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        booking.refresh_from_db()
        return booking

    return push


def seats_balance(category) -> tuple[int, int, int, int]:
    """(available, held by pending, sold to confirmed, total) straight from the database."""
    category.refresh_from_db()
    rows = Booking.objects.filter(category=category)
    held = sum(b.quantity for b in rows.filter(status=Booking.Status.PENDING))
    sold = sum(b.quantity for b in rows.filter(status=Booking.Status.CONFIRMED))
    return category.available_seats, held, sold, category.total_seats


def seats_offered(category) -> int:
    """Seats reserved by open waiting-list offers (they left available_seats too)."""
    from waitlist.models import WaitlistOffer

    open_offers = WaitlistOffer.objects.filter(category=category, status=WaitlistOffer.Status.OPEN)
    return sum(offer.quantity for offer in open_offers)


def assert_seats_balance(category) -> None:
    available, held, sold, total = seats_balance(category)
    offered = seats_offered(category)
    assert available >= 0
    assert available + held + sold + offered == total, (available, held, sold, offered, total)
