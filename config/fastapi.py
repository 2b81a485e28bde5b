"""A lean path for the few API routes every fan hits during a rush (issue #15 item 5).

FastApiMiddleware sits right after CORS and hands the routes named in
settings.FAST_API_ROUTES to a plain function view, skipping sessions, CSRF, messages,
Django's auth middleware, DRF's dispatch and simplejwt's authentication classes. The view
answers only the common case: a valid access token and well-formed input. For anything
else it returns None and the request goes down the ordinary stack to the DRF view of the
same URL, which stays the one place that answers errors of authentication and input (so
their bodies, and the OpenAPI schema generated from those views, are unchanged).

The token check is simplejwt's own (settings.SIMPLE_JWT: algorithm, key, token type
claim, expiry, jti, user id claim), without loading the user row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from config.errors import DomainError
from config.jsonbody import json_decode

# Ids beyond a bigint exist nowhere (and PostgreSQL would refuse them).
MAX_ID = 2**63 - 1

# A fan polls status with the same access token again and again: checking its signature
# and claims costs ~0.1-0.3 ms, more than the rest of the request. A token that passed is
# kept (by its exact text, per process) with its user id and expiry, and only the expiry is
# checked again. Access tokens cannot be revoked (the blacklist is for refresh tokens), so
# this accepts exactly what checking again would accept. Cleared when full: a bound on
# memory (~3 MB), not a correctness matter.
VERIFIED_TOKENS_KEPT = 10_000
_verified: dict[str, tuple[int, float]] = {}

FastView = Callable[[HttpRequest], "HttpResponse | None"]


def token_user_id(request: HttpRequest) -> int | None:
    """The user id of a valid `Authorization: Bearer <access token>`, or None.

    None covers a missing header, another scheme, a bad signature, an expired token, a
    refresh token and a token without the user id claim: the caller then lets the DRF
    view answer, which gives the contract's 401 body.
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    if not header:
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0] not in jwt_settings.AUTH_HEADER_TYPES:
        return None
    raw = parts[1]
    known = _verified.get(raw)
    if known is not None:
        user_id, valid_until = known
        return user_id if time.time() < valid_until else None
    for token_class in jwt_settings.AUTH_TOKEN_CLASSES:
        try:
            token = token_class(raw)
        except TokenError:
            continue
        user_id = _user_id(token.payload.get(jwt_settings.USER_ID_CLAIM))
        expires = token.payload.get("exp")
        if user_id is not None and isinstance(expires, int | float):
            if len(_verified) >= VERIFIED_TOKENS_KEPT:
                _verified.clear()
            leeway = token.get_token_backend().get_leeway().total_seconds()
            _verified[raw] = (user_id, expires + leeway)
        return user_id
    return None


def _user_id(claim: Any) -> int | None:
    if type(claim) is int and 0 < claim <= MAX_ID:
        return claim
    if isinstance(claim, str) and claim.isascii() and claim.isdigit() and len(claim) <= 19:
        return int(claim) if 0 < int(claim) <= MAX_ID else None
    return None


def positive_id(value: Any) -> int | None:
    """A JSON int or an ASCII decimal string in 1..MAX_ID, else None (DRF then explains)."""
    if type(value) is int:
        return value if 0 < value <= MAX_ID else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
        return number if 0 < number <= MAX_ID else None
    return None


def json_object_body(request: HttpRequest) -> dict | None:
    """The request's JSON object, or None when it is not one (DRF then explains, and its
    parser answers 413 or 400 for a body over the size or nesting limits)."""
    if request.content_type != "application/json":
        return None
    try:
        # request.body stays cached, so DRF can read it again when this path steps aside.
        body = json_decode(request.body)
    except (RequestDataTooBig, DomainError):  # over the size or nesting limits, not JSON
        return None
    return body if isinstance(body, dict) else None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        # As DRF writes datetimes: ISO 8601 in UTC with a trailing Z.
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> HttpResponse:
    """Compact JSON as DRF's JSONRenderer writes it, without its content negotiation."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    response = HttpResponse(content.encode(), status=status, content_type="application/json")
    # What the skipped XFrameOptionsMiddleware would add (SecurityMiddleware still runs).
    response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_error_json(error: DomainError) -> HttpResponse:
    """config.api.domain_error_response, as plain JSON (same body, status, Retry-After)."""
    from config.api import status_for_error  # config.api imports DRF's view machinery

    headers = None if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    body = {"detail": error.message, "code": error.code, **error.extra}
    return json_response(body, status=status_for_error(error), headers=headers)


class FastApiMiddleware:
    """Route settings.FAST_API_ROUTES to their fast views; everything else passes by."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.routes: dict[tuple[str, str], FastView] = {}
        for path, (method, view_path) in getattr(settings, "FAST_API_ROUTES", {}).items():
            view = import_string(view_path)
            # config.api.api_path: every API route answers with or without a trailing slash.
            for variant in (path.rstrip("/"), path.rstrip("/") + "/"):
                self.routes[(method, variant)] = view

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.routes.get((request.method or "", request.path_info))
        if view is not None:
            response = view(request)
            if response is not None:
                return response
        return self.get_response(request)
