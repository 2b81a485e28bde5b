"""How bookings and tickets are written out for the door, the API and error bodies."""

from __future__ import annotations

from datetime import UTC, datetime

from bookings.models import Booking, Ticket


def ticket_summary(ticket: Ticket) -> dict:
    """What the door needs to see about a ticket (JSON-ready)."""
    booking = ticket.booking
    return {
        "code": ticket.code,
        "status": ticket.status,
        "category": booking.category.name,
        "seat_label": ticket.seat_label or None,
        "booking_reference": booking.reference,
        "concert": booking.concert.name,
        "holder": booking.user.get_full_name(),
    }


# A booking's state for a fan's order history: (label, badge tone). A refund shows over
# the status it ended in (a late payment on an expired hold, a cancelled booking).
STATUS_BADGES = {
    Booking.Status.CONFIRMED: ("Confirmed", "ok"),
    Booking.Status.PENDING: ("Waiting for payment", "warn"),
    Booking.Status.EXPIRED: ("Expired", "muted"),
    Booking.Status.CANCELLED: ("Cancelled", "danger"),
}


def booking_status_badge(booking: Booking) -> tuple[str, str]:
    if booking.refunded_at:
        return ("Refunded", "info")
    return STATUS_BADGES.get(booking.status, (booking.get_status_display(), "muted"))


def iso_datetime(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC as the rest of the API writes it (DRF style, trailing Z)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
