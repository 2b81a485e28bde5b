"""Outbox tests use the booking lifecycle's fixtures (holds, slots, provider payments)."""

from tests.bookings.conftest import (  # noqa: F401
    _fake_payments,
    category,
    concert,
    give_slot,
    hold,
    provider_paid,
)
