"""What every API route shares: domain errors, the error body, optional trailing slashes.

Services raise a DomainError subclass (a stable `code`, an HTTP status, a human
`detail`); the one exception handler below turns it, and every DRF error, into the
contract's body `{"detail": ..., "code": ...}` (plus `errors` for field validation).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.urls import re_path
from django.views.defaults import server_error as django_server_error
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A business rule said no. Subclasses set code, status_code and a default detail."""

    code: str = "error"
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail: str = "The request could not be completed."
    headers: dict[str, str] | None = None  # e.g. Retry-After on a 429

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra  # extra fields for the error body, e.g. checked_in_at
        super().__init__(self.detail)


class NotFound(DomainError):
    code = "not_found"
    status_code = status.HTTP_404_NOT_FOUND
    default_detail = "Not found."


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
        body = {"detail": exc.detail, "code": exc.code, **exc.extra}
        return Response(body, status=exc.status_code, headers=exc.headers)
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


def api_not_found(request, *args: Any, **kwargs: Any) -> JsonResponse:
    """The last /api/v1/ pattern: an unknown API path answers JSON, not an HTML page."""
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def server_error(request, *args: Any, **kwargs: Any) -> HttpResponse:
    """handler500: API clients get the contract's JSON body, people get the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on our side.", "code": "server_error"}, status=500
        )
    return django_server_error(request)
