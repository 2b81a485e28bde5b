"""Payments reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from config.errors import NotFound

from .models import Payment

if TYPE_CHECKING:
    from bookings.models import Booking


def payment_public_config() -> dict[str, str]:
    """What a browser needs to start paying: the provider and its publishable key."""
    provider = settings.PAYMENT_PROVIDER
    key = settings.STRIPE_PUBLISHABLE_KEY if provider == Payment.Provider.STRIPE else ""
    return {"provider": provider, "publishable_key": key}


def booking_get_for_payment(*, user, booking_id: int) -> Booking:
    """The user's own booking with what checkout shows; NotFound for anyone else's."""
    from bookings.models import Booking

    booking = (
        Booking.objects.select_related("concert", "category")
        .filter(pk=booking_id, user_id=user.pk)
        .first()
    )
    if booking is None:
        raise NotFound("Booking not found.")
    return booking


def payment_for_booking(*, booking: Booking) -> Payment | None:
    """The booking's payment with the configured provider, if one was started."""
    return Payment.objects.filter(booking_id=booking.pk, provider=settings.PAYMENT_PROVIDER).first()


def payment_get_by_intent(*, intent_id: str) -> Payment | None:
    return Payment.objects.select_related("booking").filter(intent_id=intent_id).first()
