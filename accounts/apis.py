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

from accounts import recovery, services
from accounts.validators import PHONE_INVALID, normalize_phone, validate_new_password
from config.api import INVALID_RESPONSE as INVALID
from config.api import StrictCharField
from config.api import error_response as _error
from config.throttles import ScopedRateThrottle

PASSWORD_TOO_SHORT = "This password is too short. It must contain at least 8 characters."  # noqa: S105
SIGNUP_ACCEPTED = "If this address can sign up, we have emailed it a 6-digit code."
RESET_ACCEPTED = "If an account uses this address, we have emailed it a link to reset the password."
EMAIL_CHANGE_ACCEPTED = "We have emailed a confirmation link to the new address."


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
        signup_id = serializers.CharField(
            help_text="Send it back to verify-otp so that only this sign-up can be activated."
        )

    @extend_schema(
        operation_id="auth_signup_email",
        summary="Start an email sign-up",
        description=(
            "Emails a 6-digit code (valid for OTP_TTL_SECONDS, stored hashed). Always 202, "
            "also for an address that already has an account (that email says so instead). "
            "Repeating it within the resend cooldown sends nothing new (keep the first "
            "`signup_id`). Each sign-up has its own code: another person's sign-up for the "
            "same address never changes what this one's code activates."
        ),
        request=InputSerializer,
        responses={202: OutputSerializer, 400: INVALID, 429: THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        signup_id = services.signup_start(**serializer.validated_data)
        body = {
            "detail": SIGNUP_ACCEPTED,
            "email": serializer.validated_data["email"].lower(),
            "signup_id": signup_id,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class VerifyOtpApi(_PublicAuthApi):
    throttle_scope = "otp"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        otp = OtpField(max_length=32)
        signup_id = StrictCharField(max_length=64, required=False, allow_blank=True)

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
            429: _error(
                "`otp_locked` after OTP_MAX_ATTEMPTS wrong codes for the sign-up or "
                "OTP_MAX_ATTEMPTS_PER_WINDOW for the address (Retry-After), or `throttled`."
            ),
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


class DetailOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PasswordResetApi(_PublicAuthApi):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)

    @extend_schema(
        operation_id="auth_password_reset",
        summary="Email a password-reset link",
        description=(
            "Always 202, whether or not an account uses the address (no enumeration). The "
            "link (`/accounts/reset/{uid}/{token}/`) is valid for PASSWORD_RESET_TIMEOUT "
            "seconds and works once."
        ),
        request=InputSerializer,
        responses={202: DetailOutputSerializer, 400: INVALID, 429: THROTTLED},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recovery.password_reset_request(**serializer.validated_data)
        return Response({"detail": RESET_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(_PublicAuthApi):
    throttle_scope = "otp"

    class InputSerializer(serializers.Serializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        new_password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        summary="Set a new password with the emailed link's uid and token",
        description=(
            "Signs the user out everywhere: every refresh token is blacklisted and web "
            "sessions end. Access tokens already issued live out their 15 minutes."
        ),
        request=InputSerializer,
        responses={
            204: None,
            400: _error(
                "`invalid_token` (bad, used or expired link), or `invalid` (a weak "
                "`new_password`, in `errors`)."
            ),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            recovery.password_reset_confirm(
                uidb64=data["uid"], token=data["token"], new_password=data["new_password"]
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"new_password": exc.messages}) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailChangeApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    class InputSerializer(serializers.Serializer):
        new_email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema(
        operation_id="auth_email_change",
        summary="Ask to change the signed-in user's email",
        description=(
            "Needs the current password. The new address gets a confirmation link "
            "(`/accounts/email/confirm/{token}/`, its token is what `/email/confirm` takes); "
            "the email changes only when it is confirmed, and the old address is then told. "
            "Always 202 for a right password, also when another account uses the address "
            "(that address is emailed saying so)."
        ),
        request=InputSerializer,
        responses={
            202: DetailOutputSerializer,
            400: _error("`password_incorrect`, or `invalid` (field errors)."),
            401: UNAUTHENTICATED,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recovery.email_change_request(user=request.user, **serializer.validated_data)
        return Response({"detail": EMAIL_CHANGE_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class EmailConfirmApi(_PublicAuthApi):
    throttle_scope = "otp"

    class InputSerializer(serializers.Serializer):
        token = serializers.CharField(max_length=1024)

    @extend_schema(
        operation_id="auth_email_confirm",
        summary="Confirm an email change with the emailed token",
        request=InputSerializer,
        responses={
            200: UserOutputSerializer,
            400: _error("`invalid_token` (bad, used or expired), or `invalid`."),
            409: _error("`email_taken`: another account uses the address now."),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = recovery.email_change_confirm(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data)
