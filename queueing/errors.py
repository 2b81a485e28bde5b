"""Why the waiting room says no: stable codes the API, the page and the tests share."""

from rest_framework import status

from config.api import DomainError, NotFound


class ConcertNotFound(NotFound):
    default_detail = "Concert not found."


class SaleNotOpen(DomainError):
    code = "sale_not_open"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The waiting room for this concert is not open yet."


class SaleEnded(SaleNotOpen):
    default_detail = "The sale for this concert has ended."


class SoldOut(DomainError):
    code = "sold_out"
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This concert is sold out."
