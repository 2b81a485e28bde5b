"""The edge every request passes first: outages answer 503, oversized API bodies 413,
responses carrying tokens or ticket codes are never stored by a cache.

EdgeMiddleware is the first entry of MIDDLEWARE. An exception raised by a view (DRF
re-raises what is not an API error) reaches `process_exception`; one raised by another
middleware (the session store, the user lookup) reaches handler500, config.api.server_error,
which asks `outage_response` too. Neither answer touches the database or Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis.exceptions
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import utils as db_utils
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.cache import patch_cache_control
from django_redis.exceptions import ConnectionInterrupted
from kombu.exceptions import OperationalError as BrokerUnavailable

from config.errors import PayloadTooLarge, ServiceUnavailable

logger = logging.getLogger(__name__)

# PostgreSQL (or SQLite) unreachable or gone mid-request; Redis (cache, sessions, queue,
# throttles, the Celery broker) unreachable.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    db_utils.OperationalError,
    db_utils.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ClusterDownError,
    ConnectionInterrupted,
    BrokerUnavailable,
)

# Responses under these paths carry JWTs, OTP sessions, ticket codes or QR codes.
NO_STORE_PREFIXES = (
    "/api/v1/auth",
    "/api/v1/booking",
    "/api/v1/checkin",
    "/api/v1/payment",
    "/accounts/",
    "/bookings/",
    "/checkout/",
)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def is_outage(exc: BaseException | None) -> bool:
    """True if `exc`, or an exception it was raised from, says a store is unreachable."""
    for _ in range(5):  # a short walk up the chain: wrappers re-raise `from` the cause
        if exc is None:
            return False
        if isinstance(exc, OUTAGE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the contract's JSON on /api/, else the static 503 page
    (rendered without a request context: no session, no user, no query)."""
    retry_after = settings.SERVICE_UNAVAILABLE_RETRY_AFTER
    response: HttpResponse
    if is_api(request):
        error = ServiceUnavailable()
        response = JsonResponse({"detail": error.message, "code": error.code}, status=503)
    else:
        body = loader.get_template("503.html").render({"retry_after": retry_after})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def payload_too_large_response() -> JsonResponse:
    error = PayloadTooLarge()
    return JsonResponse({"detail": error.message, "code": error.code}, status=413)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class EdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if is_api(request) and limit is not None and _declared_length(request) > limit:
            # Refused before anything reads it (DRF's parsers read the stream unbounded).
            return payload_too_large_response()
        response = self.get_response(request)
        if request.path.startswith(NO_STORE_PREFIXES):
            patch_cache_control(response, no_store=True)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            logger.warning("store unavailable on %s: %r", request.path, exception)
            return outage_response(request)
        if isinstance(exception, RequestDataTooBig) and is_api(request):
            return payload_too_large_response()
        return None
