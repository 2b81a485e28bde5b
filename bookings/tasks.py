"""Celery tasks of the booking lifecycle: thin, take ids, call services, bounded retries."""

from __future__ import annotations

import logging

from celery import shared_task

from bookings import emails, selectors, services

logger = logging.getLogger(__name__)


@shared_task
def expire_overdue_bookings() -> int:
    """Beat: every BOOKING_EXPIRY_INTERVAL_SECONDS, overdue holds go back to sale."""
    expired = services.booking_expire_overdue()
    if expired:
        logger.info("expired %d overdue bookings", expired)
    return expired


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def send_booking_confirmation_email(*, booking_id: int) -> None:
    """The confirmation with its QR codes, tickets PDF and calendar file (bookings.emails)."""
    booking = selectors.booking_for_email(booking_id=booking_id)
    if booking is None:
        return
    emails.booking_confirmation_email(booking).send()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def send_booking_refund_email(*, booking_id: int) -> None:
    """Tell the fan their payment went back (late payment, cancelled booking, box office)."""
    booking = selectors.booking_for_email(booking_id=booking_id)
    if booking is None:
        return
    emails.booking_refund_email(booking).send()
