"""Login lockout (django-axes): whose attempts count, and what a locked-out client sees.

The API, the log-in page and the admin all authenticate through django.contrib.auth, so
django-axes' backend counts failures per account and per client address (settings:
AXES_*); these two hooks make the account the normalized email whatever form sent it, and
make the refusal the contract's JSON on /api/ and a page elsewhere.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.errors import LOCKED_OUT


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account an attempt was for: `email` (our forms, the API) or `username` (the
    admin's form), lower-cased, so `Fan@x` and `fan@x` share one counter."""
    credentials = credentials or {}
    raw = credentials.get("email") or credentials.get("username")
    if raw is None and request is not None and request.method == "POST":
        raw = request.POST.get("email") or request.POST.get("username")
    return raw.strip().lower() if isinstance(raw, str) else None


def lockout_retry_after() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    retry_after = lockout_retry_after()
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": LOCKED_OUT, "code": "locked_out"}, status=429)
    else:
        context = {"message": LOCKED_OUT, "minutes": max(retry_after // 60, 1)}
        response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
