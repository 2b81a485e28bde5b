"""Accounts: email sign-up with a one-time code, sign-in, JWT rotation, profile changes.

The API (accounts.apis) and the web pages (accounts.views) call these same functions.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import update_last_login
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import pending_signups
from accounts.emails import email_send
from accounts.errors import (
    InvalidCredentials,
    LockedOut,
    OtpExpired,
    OtpInvalid,
    OtpLocked,
    TokenNotValid,
)
from accounts.lockout import lockout_retry_after
from accounts.models import User
from accounts.selectors import normalize_email, user_email_taken

ACCOUNT_EXISTS = "An account with this email already exists. Log in instead."

_OTP_FORMAT = re.compile(r"\d{6}")


def generate_otp() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def new_signup_id() -> str:
    return secrets.token_urlsafe(16)


def signup_start(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    signup_id: str = "",
) -> str:
    """Start an email sign-up: email a 6-digit code, keep the sign-up in Redis until verified.

    Returns the sign-up id naming this requester (the given one, or a new one): verifying
    with it activates only a sign-up this requester started. Each sign-up has its own code,
    so another person's sign-up for the same address never changes what this one's code
    activates. Inputs are already validated (strong password, valid phone). The answer
    never reveals whether the address has an account: an existing account gets an email
    saying so instead of a code. Within OTP_RESEND_COOLDOWN_SECONDS of the last email
    nothing is sent or stored, so nobody can be mail-bombed.
    """
    email = normalize_email(email)
    signup_id = signup_id or new_signup_id()
    # Hash before anything else, on both paths, so the response time does not tell them apart.
    password_hash = make_password(password)
    if user_email_taken(email=email):
        if pending_signups.start_cooldown(email=email):
            email_send(
                to=email,
                template="accounts/email/account_exists",
                context={
                    "email": email,
                    "login_path": reverse("accounts:login"),
                    "reset_path": reverse("accounts:password_reset"),
                },
            )
        return signup_id

    otp = generate_otp()
    signup = pending_signups.PendingSignup(
        password_hash=password_hash, first_name=first_name, last_name=last_name, phone=phone
    )
    if pending_signups.store(email=email, otp=otp, signup=signup, signup_id=signup_id):
        email_send(
            to=email,
            template="accounts/email/otp",
            context={"otp": otp, "minutes": _otp_minutes(), "first_name": first_name},
        )
    return signup_id


def signup_verify(*, email: str, otp: str, signup_id: str = "") -> User:
    """Check the emailed code and create the account with that code's sign-up; returns it.

    With `signup_id` only a sign-up that requester started can be activated. Raises
    OtpInvalid (wrong or unknown code, or another requester's; each wrong one counts),
    OtpExpired (the code outlived OTP_TTL_SECONDS) or OtpLocked (OTP_MAX_ATTEMPTS wrong
    codes for this sign-up, or OTP_MAX_ATTEMPTS_PER_WINDOW for the address, whatever the
    number of sign-ups). Redis hands a sign-up to exactly one caller, so concurrent
    verifications create one user.
    """
    email = normalize_email(email)
    otp = "".join(otp.split())
    if not _OTP_FORMAT.fullmatch(otp):
        raise OtpInvalid()

    outcome = pending_signups.verify(email=email, otp=otp, signup_id=signup_id)
    if outcome.status == "locked":
        raise OtpLocked(retry_after=outcome.locked_for_seconds)
    if outcome.status == "expired":
        raise OtpExpired()
    if outcome.status == "invalid":
        raise OtpInvalid(attempts_left=outcome.attempts_left)
    if outcome.signup is None:  # no sign-up pending for this address
        raise OtpInvalid()

    user = User(
        email=email,
        first_name=outcome.signup.first_name,
        last_name=outcome.signup.last_name,
        phone=outcome.signup.phone,
        password=outcome.signup.password_hash,
    )
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # The address got an account some other way (e.g. the admin) since the sign-up.
        raise OtpInvalid(ACCOUNT_EXISTS) from exc
    return user


def user_authenticate(*, email: str, password: str, request: HttpRequest | None = None) -> User:
    """The active user with this email and password, else InvalidCredentials; LockedOut
    (429) while django-axes holds the account or the client address locked out.

    An unknown address and a wrong password fail alike (Django's backend even runs the
    hasher for unknown addresses, so the timing matches too).
    """
    user = authenticate(request, email=normalize_email(email), password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):  # set by django-axes' backend
            raise LockedOut(retry_after=lockout_retry_after())
        raise InvalidCredentials()
    return user


def tokens_for_user(*, user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    update_last_login(User, user)  # the signal handler ignores its sender
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _blacklist(token: RefreshToken, *, user: User) -> bool:
    """Blacklist one refresh token; False if it already was (someone else used it first)."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token[jwt_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def _parse_refresh(raw: str) -> tuple[RefreshToken, User]:
    try:
        # checks signature, expiry, type and the blacklist (the stubs forget str tokens)
        token = RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise TokenNotValid() from exc
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise TokenNotValid()
    return token, user


@transaction.atomic
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Swap a refresh token for a new access + refresh pair; the old one is blacklisted.

    Raises TokenNotValid for a bad, expired or already used token. The blacklist row is
    unique, so when the same token is presented twice at once only one caller gets a pair.
    """
    token, user = _parse_refresh(refresh)
    if not _blacklist(token, user=user):
        raise TokenNotValid()
    new_refresh = RefreshToken.for_user(user)
    return {"access": str(new_refresh.access_token), "refresh": str(new_refresh)}


@transaction.atomic
def token_revoke(*, refresh: str, user: User) -> None:
    """Log out: blacklist the caller's refresh token. TokenNotValid if it is not theirs."""
    token, owner = _parse_refresh(refresh)
    if owner.pk != user.pk:
        raise TokenNotValid()
    _blacklist(token, user=owner)


def user_update_profile(
    *,
    user: User,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
) -> User:
    """Change first_name, last_name and/or phone (already validated and normalised); a
    field left out (None) keeps its value."""
    given = {"first_name": first_name, "last_name": last_name, "phone": phone}
    changed = {name: value for name, value in given.items() if value is not None}
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        user.save(update_fields=list(changed))
    return user


def _otp_minutes() -> int:
    return max(settings.OTP_TTL_SECONDS // 60, 1)
