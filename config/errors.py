"""The base of every domain error: a business rule said no.

A domain error carries a stable `code`, a human `message` and optional extra data; it
knows nothing of HTTP. The API edge (config.api.exception_handler) maps the code to a
status and renders `{"detail": message, "code": code, **extra}`; the HTML views show
the message (config.views.message_for_error). Each app declares its errors in its own
`errors.py` with a `code` and a `default_message`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code: str = "error"
    default_message: str = "The request could not be completed."

    def __init__(
        self, message: str | None = None, *, retry_after: int | None = None, **extra: Any
    ) -> None:
        self.message = message or self.default_message
        self.retry_after = retry_after  # seconds before trying again is worth it, if known
        self.extra = extra  # JSON-ready fields the error body adds, e.g. checked_in_at
        super().__init__(self.message)


class NotFound(DomainError):
    code = "not_found"
    default_message = "Not found."


# --- Errors of the edge itself (config.middleware, config.api.json_body) ------------------
class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    default_message = "The request body is too large."


class ServiceUnavailable(DomainError):
    """PostgreSQL or Redis cannot be reached: nothing was changed; try again shortly."""

    code = "service_unavailable"
    default_message = "The service is briefly unavailable. Please try again in a few seconds."
