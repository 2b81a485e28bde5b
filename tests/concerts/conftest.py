import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from concerts.models import TicketCategory
from tests.factories import ConcertFactory, TicketCategoryFactory

_buyers = itertools.count(1)


@pytest.fixture
def make_concert():
    """A published concert (sale open, plays in 30 days) with categories [(name, price, seats)]."""

    def make(categories=(("Floor", "120.00", 100),), **fields):
        concert = ConcertFactory(**fields)
        for order, (name, price, seats) in enumerate(categories):
            TicketCategoryFactory(
                concert=concert,
                name=name,
                price=Decimal(price),
                total_seats=seats,
                display_order=order,
            )
        return concert

    return make


@pytest.fixture
def make_booking(django_user_model):
    """A Booking row as the bookings service would leave it: seats taken from the category."""
    from bookings.models import Booking

    def make(category, quantity, status=Booking.Status.CONFIRMED, user=None):
        booking = Booking.objects.create(
            # no password: hashing one per booking would make these tests slow
            user=user
            or django_user_model.objects.create_user(email=f"buyer{next(_buyers)}@example.com"),
            concert=category.concert,
            category=category,
            quantity=quantity,
            unit_price=category.price,
            total_amount=category.price * quantity,
            currency=category.currency,
            status=status,
            expires_at=timezone.now() + timedelta(minutes=10),
        )
        if status in (Booking.Status.CONFIRMED, Booking.Status.PENDING):
            TicketCategory.objects.filter(pk=category.pk).update(
                available_seats=F("available_seats") - quantity
            )
        category.refresh_from_db()
        return booking

    return make
