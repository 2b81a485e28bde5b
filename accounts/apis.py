"""The Auth API (/api/v1/auth): thin views over accounts.services."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.validators import PHONE_INVALID, normalize_phone, validate_new_password
from config.api import INVALID_RESPONSE as INVALID
from config.api import StrictCharField
from config.api import error_response as _error
from config.throttles import ScopedRateThrottle

PASSWORD_TOO_SHORT = "This password is too short. It must contain at least 8 characters."  # noqa: S105
SIGNUP_ACCEPTED = "If this address can sign up, we have emailed it a 6-digit code."


THROTTLED = _error("`throttled`: too many requests; see the Retry-After header.")
UNAUTHENTICATED = _error("`not_authenticated` or `token_not_valid`: no valid access token.")


OTP_PATTERN = r"^ *(?:[0-9] *){6}$"
# What a phone number may look like: "+", then digits, spaces, dots, hyphens and brackets
# (e.g. +44 20 7946 0958, +1 (415) 555-2671); empty means none. On top of the pattern the
# number must be a valid one (phonenumbers), which the schema states as `format: phone`.
PHONE_PATTERN = r"^(?:\+[0-9][0-9 ().-]{3,30})?$"
PHONE_SHAPE = re.compile(PHONE_PATTERN)


# Six digits; spaces between them are forgiven (the code is read off an email). The schema
# states the shape; the service checks it, so that a malformed code, like a wrong one, is
# 400 `otp_invalid` (the contract).
@extend_schema_field({"type": "string", "pattern": OTP_PATTERN, "maxLength": 32})
class OtpField(StrictCharField):
    pass


@extend_schema_field(
    {"type": "string", "format": "phone", "pattern": PHONE_PATTERN, "maxLength": 32}
)
class PhoneField(StrictCharField):
    """An optional phone number, stored in E.164 form."""

    def __init__(self, **kwargs) -> None:
        # Not trimmed: the pattern is checked on the string as sent.
        super().__init__(
            max_length=32, required=False, allow_blank=True, trim_whitespace=False, **kwargs
        )

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if not value:
            return ""
        if not PHONE_SHAPE.fullmatch(value):
            raise serializers.ValidationError(PHONE_INVALID)
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    phone = serializers.CharField()


class TokensOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SessionOutputSerializer(TokensOutputSerializer):
    user = UserOutputSerializer()


def _session_body(user) -> dict:
    return {**services.tokens_for_user(user=user), "user": UserOutputSerializer(user).data}


class _PublicAuthApi(APIView):
    """No session or bearer token is read, so a stale cookie cannot demand CSRF here."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class SignupEmailApi(_PublicAuthApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        # min_length: Django's MinimumLengthValidator (AUTH_PASSWORD_VALIDATORS), stated.
        password = StrictCharField(
            min_length=8,
            max_length=4096,
            trim_whitespace=False,
            error_messages={"min_length": PASSWORD_TOO_SHORT},
        )
        first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        phone = PhoneField()

        def validate(self, attrs: dict) -> dict:
            try:
                validate_new_password(
                    attrs["password"],
                    email=attrs["email"],
                    first_name=attrs.get("first_name", ""),
                    last_name=attrs.get("last_name", ""),
                )
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"password": exc.messages}) from exc
            return attrs

    class OutputSerializer(serializers.Serializer):
        detail = serializers.CharField()
        email = serializers.EmailField()

    @extend_schema(
        operation_id="auth_signup_email",
        summary="Start an email sign-up",
        description=(
            "Emails a 6-digit code (valid for OTP_TTL_SECONDS, stored hashed). Always 202, "
            "also for an address that already has an account (that email says so instead). "
            "Repeating it within the resend cooldown sends nothing new."
        ),
        request=InputSerializer,
        responses={202: OutputSerializer, 400: INVALID, 429: THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.signup_start(**serializer.validated_data)
        body = {"detail": SIGNUP_ACCEPTED, "email": serializer.validated_data["email"].lower()}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class VerifyOtpApi(_PublicAuthApi):
    throttle_scope = "otp"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        otp = OtpField(max_length=32)

    @extend_schema(
        operation_id="auth_verify_otp",
        summary="Verify the emailed code and create the account",
        request=InputSerializer,
        responses={
            201: SessionOutputSerializer,
            400: _error(
                "`otp_invalid` (wrong code; the body has `attempts_left`), `otp_expired`, "
                "or `invalid` (field errors)."
            ),
            429: _error("`otp_locked` after OTP_MAX_ATTEMPTS wrong codes, or `throttled`."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.signup_verify(**serializer.validated_data)
        return Response(_session_body(user), status=status.HTTP_201_CREATED)


class LoginEmailApi(_PublicAuthApi):
    class InputSerializer(serializers.Serializer):
        # A CharField, not an EmailField: a malformed address fails like any unknown one.
        email = StrictCharField(max_length=254)
        password = StrictCharField(max_length=4096, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_login_email",
        summary="Log in with email and password",
        request=InputSerializer,
        responses={
            200: SessionOutputSerializer,
            400: INVALID,
            401: _error("`invalid_credentials`: unknown email or wrong password (alike)."),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_authenticate(**serializer.validated_data, request=request)
        return Response(_session_body(user))


class RefreshInputSerializer(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


class RefreshApi(_PublicAuthApi):
    @extend_schema(
        operation_id="auth_refresh",
        summary="Rotate a refresh token",
        description="Returns a new pair; the refresh token sent is blacklisted.",
        request=RefreshInputSerializer,
        responses={
            200: TokensOutputSerializer,
            400: INVALID,
            401: _error("`token_not_valid`: bad, expired, blacklisted or already rotated."),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(services.token_refresh(**serializer.validated_data))


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        summary="Log out: blacklist a refresh token",
        request=RefreshInputSerializer,
        responses={
            204: None,
            400: INVALID,
            401: _error(
                "`not_authenticated`, or `token_not_valid` (the refresh token is bad, "
                "already revoked, or not the caller's)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.token_revoke(**serializer.validated_data, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        first_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        last_name = StrictCharField(max_length=150, required=False, allow_blank=True)
        phone = PhoneField()

    @extend_schema(
        operation_id="auth_me",
        summary="The signed-in user",
        responses={200: UserOutputSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(
        operation_id="auth_me_update",
        summary="Change the signed-in user's name or phone",
        request=InputSerializer,
        responses={200: UserOutputSerializer, 400: INVALID, 401: UNAUTHENTICATED},
    )
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, **serializer.validated_data)
        return Response(UserOutputSerializer(user).data)
