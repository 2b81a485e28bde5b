"""Why the booking services say no: each error has a stable code the API and pages share."""

from concerts.errors import TicketLimitReached
from config.errors import DomainError, NotFound

__all__ = ["TicketLimitReached"]  # the rule lives with the sale rules (concerts)


class BookingNotFound(NotFound):
    default_message = "Booking not found."


class InvalidQuantity(DomainError):
    code = "invalid"
    default_message = "Choose between 1 and {limit} tickets."


class QueueSlotRequired(DomainError):
    code = "queue_slot_required"
    default_message = "Your turn in the waiting room has not come or is over: join the queue first."


class InsufficientSeats(DomainError):
    code = "insufficient_seats"
    default_message = "Not enough seats are left in this category."


class PendingBookingExists(DomainError):
    code = "pending_booking_exists"
    default_message = "You already have a booking waiting for payment: pay or cancel it first."


class BookingExpired(DomainError):
    code = "booking_expired"
    default_message = "This booking expired and its seats are gone."


class BookingCancelled(DomainError):
    code = "booking_cancelled"
    default_message = "This booking was cancelled."


class BookingNotConfirmed(DomainError):
    code = "booking_not_confirmed"
    default_message = "Only a confirmed booking can be cancelled with a refund."


class UnknownTicket(DomainError):
    code = "unknown_ticket"
    default_message = "No ticket has this code."


class TicketAlreadyCheckedIn(DomainError):
    code = "already_checked_in"
    default_message = "This ticket was already checked in."


class TicketVoid(DomainError):
    code = "ticket_void"
    default_message = "This ticket is void (its booking was cancelled)."


class TicketWrongConcert(DomainError):
    code = "wrong_concert"
    default_message = "This ticket is for another concert: {concert}."


class OutsideDoorWindow(DomainError):
    code = "outside_door_window"
    default_message = "The doors for this concert are not open now (open {opens} to {closes})."


class TicketNotCheckedIn(DomainError):
    code = "not_checked_in"
    default_message = "This ticket is not checked in: there is nothing to undo."
