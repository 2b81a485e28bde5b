"""Why the booking services say no: each error has a stable code the API and pages share."""

from rest_framework import status

from config.api import DomainError, NotFound


class BookingNotFound(NotFound):
    default_detail = "Booking not found."


class InvalidQuantity(DomainError):
    code = "invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Choose between 1 and {limit} tickets."


class QueueSlotRequired(DomainError):
    code = "queue_slot_required"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Your turn in the waiting room has not come or is over: join the queue first."


class InsufficientSeats(DomainError):
    code = "insufficient_seats"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Not enough seats are left in this category."


class PendingBookingExists(DomainError):
    code = "pending_booking_exists"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You already have a booking waiting for payment: pay or cancel it first."


class TicketLimitReached(DomainError):
    code = "ticket_limit_reached"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "You can hold at most {limit} tickets for this concert."


class BookingExpired(DomainError):
    code = "booking_expired"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This booking expired and its seats are gone."


class BookingCancelled(DomainError):
    code = "booking_cancelled"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This booking was cancelled."


class BookingNotConfirmed(DomainError):
    code = "booking_not_confirmed"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Only a confirmed booking can be cancelled with a refund."


class UnknownTicket(DomainError):
    code = "unknown_ticket"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "No ticket has this code."


class TicketAlreadyCheckedIn(DomainError):
    code = "already_checked_in"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This ticket was already checked in."


class TicketVoid(DomainError):
    code = "ticket_void"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This ticket is void (its booking was cancelled)."
