"""Why the waiting list says no: each error has a stable code the API and pages share."""

from config.errors import DomainError, NotFound


class WaitlistEntryNotFound(NotFound):
    default_message = "No such waiting-list entry of yours."


class WaitlistOfferNotFound(NotFound):
    default_message = "No such offer of yours."


class SeatsAvailable(DomainError):
    code = "seats_available"
    default_message = "Seats are on sale in this category: join the waiting room instead."


class WaitlistEntryExists(DomainError):
    code = "waitlist_entry_exists"
    default_message = "You are already on the waiting list for this category."


class OfferNotOpen(DomainError):
    code = "offer_not_open"
    default_message = "This offer is no longer open: it was taken, lapsed or withdrawn."
