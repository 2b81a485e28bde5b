"""Checkout reads: a fan's own booking, as the checkout page and create-intent need it."""

from __future__ import annotations

from bookings.models import Booking
from config.errors import NotFound


def booking_get_for_payment(*, user, booking_id: int) -> Booking:
    """The user's own booking with what checkout shows; NotFound for anyone else's."""
    booking = (
        Booking.objects.select_related("concert", "category")
        .filter(pk=booking_id, user_id=user.pk)
        .first()
    )
    if booking is None:
        raise NotFound("Booking not found.")
    return booking
