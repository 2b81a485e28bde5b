"""Reads of bookings and tickets, each in a constant number of queries, a fan's own only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from bookings import errors
from bookings.models import Booking, Ticket
from concerts import selectors as concert_selectors
from concerts.models import Concert

# Ids beyond a bigint would make PostgreSQL refuse the query; they exist nowhere anyway.
MAX_ID = 2**63 - 1


def _bookings() -> QuerySet[Booking]:
    return Booking.objects.select_related("concert", "category").prefetch_related(
        Prefetch("tickets", queryset=Ticket.objects.order_by("id"))
    )


def booking_pending_get(*, user) -> Booking:
    """The fan's booking waiting for payment (BookingNotFound if none)."""
    booking = _bookings().filter(user_id=user.pk, status=Booking.Status.PENDING).first()
    if booking is None:
        raise errors.BookingNotFound("You have no booking waiting for payment.")
    return booking


def booking_pending_find(*, user) -> Booking | None:
    return Booking.objects.filter(user_id=user.pk, status=Booking.Status.PENDING).first()


def booking_get(*, user, booking_id: int) -> Booking:
    """One of the fan's bookings, any status (BookingNotFound otherwise)."""
    if not 0 < booking_id <= MAX_ID:
        raise errors.BookingNotFound()
    booking = _bookings().filter(user_id=user.pk, pk=booking_id).first()
    if booking is None:
        raise errors.BookingNotFound()
    return booking


def booking_confirmed_get(*, user, booking_id: int) -> Booking:
    """One of the fan's confirmed bookings with its tickets (BookingNotFound otherwise)."""
    if not 0 < booking_id <= MAX_ID:
        raise errors.BookingNotFound()
    booking = (
        _bookings().filter(user_id=user.pk, pk=booking_id, status=Booking.Status.CONFIRMED).first()
    )
    if booking is None:
        raise errors.BookingNotFound()
    return booking


def booking_get_by_reference(*, user, reference: str) -> Booking:
    booking = _bookings().filter(user_id=user.pk, reference=reference).first()
    if booking is None:
        raise errors.BookingNotFound()
    return booking


def booking_list_confirmed(*, user) -> list[Booking]:
    """The fan's confirmed bookings, soonest concert first: 2 queries however many."""
    return list(
        _bookings()
        .filter(user_id=user.pk, status=Booking.Status.CONFIRMED)
        .order_by("concert__starts_at", "-confirmed_at")
    )


def booking_list_history(*, user) -> list[Booking]:
    """All the fan's bookings, any status (pending, confirmed, cancelled, expired, refunded),
    newest first, with concert, category and tickets: 2 queries however many."""
    return list(_bookings().filter(user_id=user.pk).order_by("-created_at", "-id"))


def booking_document_get(*, user, reference: str) -> Booking:
    """A confirmed booking of the fan, with what its PDF and calendar file show."""
    booking = (
        _bookings()
        .select_related("user")
        .filter(user_id=user.pk, reference=reference, status=Booking.Status.CONFIRMED)
        .first()
    )
    if booking is None:
        raise errors.BookingNotFound()
    return booking


def booking_for_email(*, booking_id: int) -> Booking | None:
    return (
        Booking.objects.select_related("user", "concert", "category")
        .prefetch_related(Prefetch("tickets", queryset=Ticket.objects.order_by("id")))
        .filter(pk=booking_id)
        .first()
    )


HELD_STATUSES = (Booking.Status.PENDING, Booking.Status.CONFIRMED)


# The per-fan limit's count lives with the sale rules (the waiting room refuses a fan at
# the limit, and queueing may not import bookings); bookings reads it from there.
fan_tickets_held = concert_selectors.fan_tickets_held


# --- the door ----------------------------------------------------------------------------


def door_window(*, concert: Concert) -> tuple[datetime, datetime]:
    """When the door admits this concert's tickets: from doors_open_at (or
    CHECKIN_OPENS_BEFORE_MINUTES before the start) to CHECKIN_CLOSES_AFTER_MINUTES after."""
    opens = concert.doors_open_at or concert.starts_at - timedelta(
        minutes=settings.CHECKIN_OPENS_BEFORE_MINUTES
    )
    return opens, concert.starts_at + timedelta(minutes=settings.CHECKIN_CLOSES_AFTER_MINUTES)


def concerts_for_the_door(*, now: datetime | None = None) -> list[Concert]:
    """Concerts a door may serve: those whose door window has not closed, soonest first,
    plus those of the last day (a late undo); the door picker lists them."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.CHECKIN_CLOSES_AFTER_MINUTES) - timedelta(days=1)
    return list(Concert.objects.filter(starts_at__gte=since).order_by("starts_at", "id")[:50])


def checkin_stats(*, concert_id: int) -> dict[str, int]:
    """Checked-in and sold (not void) tickets of a concert, in one query."""
    counts = Ticket.objects.filter(booking__concert_id=concert_id).aggregate(
        sold=Count("id", filter=~Q(status=Ticket.Status.VOID)),
        checked_in=Count("id", filter=Q(status=Ticket.Status.CHECKED_IN)),
    )
    return {"checked_in": counts["checked_in"], "sold": counts["sold"]}


def attendees_for_concert(*, concert_id: int) -> QuerySet[Booking]:
    """Every booking of a concert with its fan, category and tickets (three queries)."""
    return (
        Booking.objects.filter(concert_id=concert_id)
        .select_related("user", "category")
        .prefetch_related(Prefetch("tickets", queryset=Ticket.objects.order_by("id")))
        .order_by("created_at", "id")
    )


@dataclass(frozen=True)
class QuantityLimits:
    """How many tickets a fan may hold in one booking now, overall and per category."""

    held: int  # the fan's pending + confirmed tickets for the concert
    allowance: int  # MAX_TICKETS_PER_FAN - held, never below 0
    most: int  # the largest quantity any category offers (0: nothing to offer)
    per_category: list[tuple]  # [(category, most for that category)], the concert's order


def booking_quantity_limits(*, user_id: int, concert) -> QuantityLimits:
    """min(MAX_TICKETS_PER_BOOKING, what the fan may still buy, seats left) per category.

    `concert.categories` should be prefetched; then this is one query (the fan's tickets)."""
    held = fan_tickets_held(user_id=user_id, concert_id=concert.pk)
    allowance = max(0, settings.MAX_TICKETS_PER_FAN - held)
    per_booking = min(settings.MAX_TICKETS_PER_BOOKING, allowance)
    per_category = [
        (category, max(0, min(per_booking, category.available_seats)))
        for category in concert.categories.all()
    ]
    most = max((limit for _category, limit in per_category), default=0)
    return QuantityLimits(held=held, allowance=allowance, most=most, per_category=per_category)
