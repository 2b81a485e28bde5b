"""Why the catalog says no: stable codes the API, the pages and the admin share."""

from config.errors import DomainError, NotFound


class ConcertNotFound(NotFound):
    default_message = "Concert not found."


class CategoryNotFound(NotFound):
    default_message = "Ticket category not found."


class CategoryShrinkRefused(DomainError):
    code = "category_shrink_refused"
    default_message = "A category cannot have fewer seats than are already sold or held."


class TicketLimitReached(DomainError):
    """MAX_TICKETS_PER_FAN: the waiting room refuses a fan at the limit; bookings refuse a
    quantity that would pass it."""

    code = "ticket_limit_reached"
    default_message = "You can hold at most {limit} tickets for this concert."
