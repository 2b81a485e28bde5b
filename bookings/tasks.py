"""Celery tasks of the booking lifecycle: thin, take ids, call services, bounded retries."""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.emails import build_email
from bookings import selectors, services
from bookings.qr import ticket_qr_png

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
    """The confirmation with one inline QR code (PNG, by Content-ID) per ticket."""
    booking = selectors.booking_for_email(booking_id=booking_id)
    if booking is None:
        return
    tickets = list(booking.tickets.all())
    images = [(f"ticket-{ticket.pk}", ticket_qr_png(ticket.code), "png") for ticket in tickets]
    message = build_email(
        to=booking.user.email,
        template="bookings/email/confirmed",
        context={
            "booking": booking,
            "tickets": [{"ticket": t, "cid": f"ticket-{t.pk}"} for t in tickets],
            "user": booking.user,
        },
        inline_images=images,
    )
    message.send()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def send_booking_refund_email(*, booking_id: int) -> None:
    """Tell the fan their payment went back (late payment, cancelled booking, box office)."""
    booking = selectors.booking_for_email(booking_id=booking_id)
    if booking is None:
        return
    build_email(
        to=booking.user.email,
        template="bookings/email/refunded",
        context={"booking": booking, "user": booking.user},
    ).send()
