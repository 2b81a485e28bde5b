"""Why the waiting room says no: stable codes the API, the page and the tests share.

A concert that is not there (or not published) is concerts.errors.ConcertNotFound.
"""

from config.errors import DomainError


class SaleNotOpen(DomainError):
    code = "sale_not_open"
    default_message = "The waiting room for this concert is not open yet."


class SaleEnded(SaleNotOpen):
    default_message = "The sale for this concert has ended."


class SoldOut(DomainError):
    code = "sold_out"
    default_message = "This concert is sold out."


class InvalidCap(DomainError):
    code = "invalid_cap"
    default_message = "The active cap cannot be negative."


class QueueRebuilding(DomainError):
    """Redis lost the line and it is being rebuilt from PostgreSQL: retry in a moment."""

    code = "queue_rebuilding"
    default_message = "The waiting room is being restored. Please try again in a moment."

    def __init__(self, message: str | None = None, **extra) -> None:
        super().__init__(message, retry_after=1, **extra)
