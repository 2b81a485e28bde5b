"""What every API route shares: the error edge, the error body, optional trailing slashes.

Services raise a config.errors.DomainError subclass (a stable `code`, a human message,
no HTTP); STATUS_BY_CODE below is the one map from codes to statuses, and the one
exception handler turns a domain error, and every DRF error, into the contract's body
`{"detail": ..., "code": ...}` (plus `errors` for field validation).
"""

from __future__ import annotations

import re
import sys
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import permission_denied as django_permission_denied
from django.views.defaults import server_error as django_server_error
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# Re-exported: code written before config.errors existed imports them from here.
from config.errors import DomainError
from config.jsonbody import InvalidJson, json_body  # noqa: F401 (the views' entry point)
from config.middleware import is_api, is_outage, outage_response, payload_too_large_response

# The one place that knows which HTTP status answers each domain error code (the
# contract's tables). A code missing here answers 400; a test checks every error class.
STATUS_BY_CODE: dict[str, int] = {
    "error": status.HTTP_400_BAD_REQUEST,
    "invalid": status.HTTP_400_BAD_REQUEST,
    "not_found": status.HTTP_404_NOT_FOUND,
    # accounts
    "otp_invalid": status.HTTP_400_BAD_REQUEST,
    "otp_expired": status.HTTP_400_BAD_REQUEST,
    "otp_locked": status.HTTP_429_TOO_MANY_REQUESTS,
    "invalid_credentials": status.HTTP_401_UNAUTHORIZED,
    "token_not_valid": status.HTTP_401_UNAUTHORIZED,
    "locked_out": status.HTTP_429_TOO_MANY_REQUESTS,
    "invalid_token": status.HTTP_400_BAD_REQUEST,
    "password_incorrect": status.HTTP_400_BAD_REQUEST,
    "email_taken": status.HTTP_409_CONFLICT,
    # concerts
    "category_shrink_refused": status.HTTP_409_CONFLICT,
    # queueing
    "sale_not_open": status.HTTP_409_CONFLICT,
    "sold_out": status.HTTP_409_CONFLICT,
    "invalid_cap": status.HTTP_400_BAD_REQUEST,
    "queue_rebuilding": status.HTTP_503_SERVICE_UNAVAILABLE,
    "challenge_required": status.HTTP_403_FORBIDDEN,
    "challenge_invalid": status.HTTP_400_BAD_REQUEST,
    "challenge_expired": status.HTTP_409_CONFLICT,
    "challenge_used": status.HTTP_409_CONFLICT,
    "invalid_challenge_difficulty": status.HTTP_400_BAD_REQUEST,
    # bookings
    "queue_slot_required": status.HTTP_403_FORBIDDEN,
    "insufficient_seats": status.HTTP_409_CONFLICT,
    "pending_booking_exists": status.HTTP_409_CONFLICT,
    "ticket_limit_reached": status.HTTP_409_CONFLICT,
    "booking_expired": status.HTTP_409_CONFLICT,
    "booking_cancelled": status.HTTP_409_CONFLICT,
    "booking_not_confirmed": status.HTTP_409_CONFLICT,
    "unknown_ticket": status.HTTP_404_NOT_FOUND,
    "already_checked_in": status.HTTP_409_CONFLICT,
    "ticket_void": status.HTTP_409_CONFLICT,
    "wrong_concert": status.HTTP_409_CONFLICT,
    "outside_door_window": status.HTTP_409_CONFLICT,
    "not_checked_in": status.HTTP_409_CONFLICT,
    # waitlist
    "seats_available": status.HTTP_409_CONFLICT,
    "waitlist_entry_exists": status.HTTP_409_CONFLICT,
    "offer_not_open": status.HTTP_409_CONFLICT,
    # payments
    "payment_not_completed": status.HTTP_402_PAYMENT_REQUIRED,
    "card_declined": status.HTTP_402_PAYMENT_REQUIRED,
    "booking_not_pending": status.HTTP_409_CONFLICT,
    "payment_not_refundable": status.HTTP_409_CONFLICT,
    "bad_signature": status.HTTP_400_BAD_REQUEST,
    "payment_provider_error": status.HTTP_502_BAD_GATEWAY,
    # the edge (config.middleware, json_body)
    "payload_too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "service_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
}


def status_for_error(error: DomainError) -> int:
    """The HTTP status answering a domain error (HTML views answer with it too)."""
    return STATUS_BY_CODE.get(error.code, status.HTTP_400_BAD_REQUEST)


def domain_error_response(error: DomainError) -> Response:
    """The contract's error body for a domain error, with Retry-After when it knows one."""
    headers = None if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    body = {"detail": error.message, "code": error.code, **error.extra}
    return Response(body, status=status_for_error(error), headers=headers)


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _flatten(value)
        return ""
    if isinstance(detail, list):
        return _flatten(detail[0]) if detail else ""
    return str(detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {
            "code": "invalid",
            "detail": _flatten(errors) or "Invalid input.",
            "errors": errors,
        }
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"code": "invalid", "detail": str(exc.detail), "errors": {}}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "error"
        if (
            isinstance(response.data, dict)
            and "code" in response.data
            and "detail" in response.data
        ):
            code = str(response.data["code"])  # simplejwt's token_not_valid
            detail = response.data["detail"]
        else:
            detail = _flatten(exc.detail)
        response.data = {"detail": str(detail), "code": code}
    return response


def api_path(route: str, view: Any, name: str | None = None):
    """A URL pattern that answers with or without a trailing slash, never redirecting.

    Apps' api_urls are included under a prefix without a trailing slash
    (`path("api/v1/queue", include(...))`), so `route` is a regex fragment without
    slashes at either end, e.g. r"(?P<pk>\\d+)/confirm"; an empty route is the prefix itself.
    """
    pattern = rf"^/{route}/?$" if route else r"^/?$"
    return re_path(pattern, view, name=name)


@extend_schema_serializer(component_name="ApiError")
class ErrorSerializer(serializers.Serializer):
    """The error body, for OpenAPI: `@extend_schema(responses={409: ErrorSerializer})`."""

    detail = serializers.CharField()
    code = serializers.CharField()


@extend_schema_serializer(component_name="ApiValidationError")
class ValidationErrorSerializer(ErrorSerializer):
    """400 `invalid`: `errors` maps each field to its messages."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def error_response(description: str, *codes: str) -> OpenApiResponse:
    """An OpenAPI error response with the shared error body; `codes` are listed after."""
    if codes:
        description = f"{description} (code: {', '.join(f'`{code}`' for code in codes)})"
    return OpenApiResponse(ErrorSerializer, description=description)


INVALID_RESPONSE = OpenApiResponse(
    ValidationErrorSerializer, description="`invalid`: field errors."
)


# --- Input fields that state the server's limits in the OpenAPI schema -------------------
# Largest id a path or body may carry: PostgreSQL's bigint. Ids above it are 404 (or 400 in
# a body), never a database error, and the schema says so.
MAX_ID = 2**63 - 1
# A request string DRF accepts holds no NUL character (PostgreSQL text cannot store one).
NO_NUL_PATTERN = r"^[^\u0000]*$"
# ...and, where DRF trims the string (str.strip) and refuses it blank, holds something that is
# not whitespace: exactly what str.strip removes (ECMA's \s differs: it has U+FEFF).
_STRIPPED = (
    r"\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
NON_BLANK_PATTERN = rf"^[^\u0000]*[^\u0000{_STRIPPED}][^\u0000]*$"


class StrictCharField(serializers.CharField):
    """A string that must arrive as a JSON string: DRF's CharField would turn `0` or `true`
    into "0"/"True", accepting a body its own schema (`type: string`) calls invalid."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SettingBoundedIntegerField(serializers.IntegerField):
    """An integer from `min_value` to a setting (read whenever a serializer is built, so the
    schema and the check follow the setting, and tests may override it)."""

    def __init__(self, *, max_setting: str, range_message: str = "", **kwargs: Any) -> None:
        from django.conf import settings

        limit = getattr(settings, max_setting)
        if range_message:
            message = range_message.format(limit=limit)
            kwargs["error_messages"] = {"min_value": message, "max_value": message}
        super().__init__(max_value=limit, **kwargs)


def id_path_parameter(name: str = "id", description: str = "") -> OpenApiParameter:
    """A path id as the server accepts it: digits, 1..MAX_ID (anything else answers 404)."""
    return OpenApiParameter(
        name,
        {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID},
        OpenApiParameter.PATH,
        description=description,
    )


def _allows_empty_string(schema: dict) -> bool:
    pattern = schema.get("pattern", "")
    return (
        not schema.get("minLength")
        and schema.get("format") in (None, "phone")
        and re.fullmatch(pattern, "") is not None  # re reads \uXXXX escapes as JSON Schema does
    )


class AutoSchema(openapi.AutoSchema):
    """Names nested serializers after their view, so that every app may use the styleguide's
    `InputSerializer`/`OutputSerializer` without clashing components in the OpenAPI schema:
    `SignupEmailApi.InputSerializer` becomes the component `SignupEmailInput`."""

    def get_serializer_name(self, serializer: serializers.BaseSerializer, direction: str) -> str:
        outer, _, inner = type(serializer).__qualname__.rpartition(".")
        if not outer or "<locals>" in outer:
            return super().get_serializer_name(serializer, direction)
        view_name = outer.rpartition(".")[2].removesuffix("Api").removesuffix("View")
        return view_name + inner

    def _map_serializer_field(
        self, field: serializers.Field, direction: str, bypass_extensions: bool = False
    ) -> dict:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # DRF refuses NUL in every CharField (ProhibitNullCharactersValidator), and a blank
        # string once trimmed unless allow_blank: say so, unless the field has its own pattern.
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and "pattern" not in schema
        ):
            blank_refused = field.trim_whitespace and not field.allow_blank
            schema["pattern"] = NON_BLANK_PATTERN if blank_refused else NO_NUL_PATTERN
        return schema

    def _insert_field_validators(self, field: serializers.Field, schema: dict) -> None:
        super()._insert_field_validators(field, schema)
        # drf-spectacular adds "" to a blank-allowed string with a pattern as oneOf [the
        # string, maxLength 0]. When the string's own schema already allows "" (ours do),
        # "" matches both branches, which oneOf forbids: keep the string's schema alone.
        branches = schema.get("oneOf")
        if (
            branches
            and len(branches) == 2
            and branches[1] == {"type": "string", "maxLength": 0}
            and _allows_empty_string(branches[0])
        ):
            schema.pop("oneOf")
            schema.update(branches[0])

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        # drf-spectacular drafts every PATCH body as a partial update (no required field). An
        # action view that validates a whole body (`partial_patch = False`, e.g. confirm) says
        # so, and its schema then lists the fields it requires.
        if self.method == "PATCH" and not getattr(self.view, "partial_patch", True):
            self.method = "POST"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)


# --- JSON bodies: config.jsonbody reads them within limits (json_body, for plain views);
# config.parsers.JSONParser does the same for DRF. A plain view renders their errors with:
def json_error_response(error: DomainError) -> JsonResponse:
    """A domain error as the contract's JSON body, for views outside DRF."""
    response = JsonResponse(
        {"detail": error.message, "code": error.code, **error.extra},
        status=status_for_error(error),
    )
    if error.retry_after is not None:
        response["Retry-After"] = str(error.retry_after)
    return response


# --- Error pages: JSON on /api/, people get the site's pages -----------------------------
def _api_error(detail: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status_code)


@csrf_exempt  # an unknown path answers 404 to every method, before any CSRF check
def api_not_found(request, *args: Any, **kwargs: Any) -> JsonResponse:
    """The last /api/ pattern: an unknown API path answers JSON, not an HTML page."""
    return _api_error("Not found.", "not_found", 404)


def bad_request(request, exception: Exception | None = None, *args: Any, **kwargs: Any):
    """handler400 (a malformed request caught outside a view, e.g. a body too large)."""
    if is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return payload_too_large_response()
        return _api_error("Bad request.", "invalid", 400)
    return django_bad_request(request, exception)


def permission_denied(request, exception: Exception | None = None, *args: Any, **kwargs: Any):
    """handler403: JSON on /api/, else the styled 403 page."""
    if is_api(request):
        return _api_error("You do not have permission to do this.", "permission_denied", 403)
    return django_permission_denied(request, exception)


def page_not_found(request, exception: Exception | None = None, *args: Any, **kwargs: Any):
    """handler404: JSON on /api/ (e.g. a plain view raising Http404), else the 404 page."""
    if is_api(request):
        return _api_error("Not found.", "not_found", 404)
    return django_page_not_found(request, exception)


def server_error(request, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: an unreachable database or Redis is a 503 (see config.middleware); else
    API clients get the contract's JSON body, people get the HTML page."""
    if is_outage(sys.exc_info()[1]):
        return outage_response(request)
    if is_api(request):
        return _api_error("Something went wrong on our side.", "server_error", 500)
    return django_server_error(request)
