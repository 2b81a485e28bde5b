"""Payments reads."""

from __future__ import annotations

from django.conf import settings

from .models import Payment


def payment_public_config() -> dict[str, str]:
    """What a browser needs to start paying: the provider and its publishable key."""
    provider = settings.PAYMENT_PROVIDER
    key = settings.STRIPE_PUBLISHABLE_KEY if provider == Payment.Provider.STRIPE else ""
    return {"provider": provider, "publishable_key": key}


def payment_for_booking(*, booking_id: int) -> Payment | None:
    """The booking's payment with the configured provider, if one was started."""
    return Payment.objects.filter(booking_id=booking_id, provider=settings.PAYMENT_PROVIDER).first()


def payment_get_by_intent(*, intent_id: str) -> Payment | None:
    return Payment.objects.select_related("booking").filter(intent_id=intent_id).first()
