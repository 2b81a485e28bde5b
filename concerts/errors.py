"""Why the catalog says no: stable codes the API, the pages and the admin share."""

from config.errors import DomainError, NotFound


class ConcertNotFound(NotFound):
    default_message = "Concert not found."


class CategoryNotFound(NotFound):
    default_message = "Ticket category not found."


class CategoryShrinkRefused(DomainError):
    code = "category_shrink_refused"
    default_message = "A category cannot have fewer seats than are already sold or held."
