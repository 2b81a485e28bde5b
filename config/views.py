"""What every HTML view shares: showing a domain error to a person."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static

from config.errors import DomainError


def message_for_error(error: DomainError, overrides: dict[str, str] | None = None) -> str:
    """The sentence a page shows for a domain error: its message, or the page's own
    wording for its code (e.g. checkout says more about an unfinished payment)."""
    if overrides and error.code in overrides:
        return overrides[error.code]
    return error.message


def messages_add_error(request: HttpRequest, error: DomainError) -> None:
    """Flash a domain error's message on the next page."""
    messages.error(request, message_for_error(error))


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """/favicon.ico, which browsers ask for whatever the page says: the site's SVG icon
    (the static URL resolved at request time, hashed name included in production)."""
    response = HttpResponseRedirect(static("img/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
