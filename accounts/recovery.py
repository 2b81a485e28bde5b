"""Account recovery: password reset by emailed link, and email change re-verified at the
new address. The API (accounts.apis) and the pages (accounts.views) call these functions.

Tokens are Django's own: password-reset links use `default_token_generator` (an HMAC of
the user's password hash, last login and email, so a link dies once used or once the
email changes); email-change links use `django.core.signing` with a timestamp, bound to
the address they replace, so one works once.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import pending_signups
from accounts.emails import email_send
from accounts.errors import EmailTaken, InvalidToken, PasswordIncorrect
from accounts.models import User
from accounts.selectors import normalize_email, user_email_taken
from accounts.validators import validate_new_password

EMAIL_CHANGE_SALT = "accounts.email_change"


def _minutes(seconds: int) -> int:
    return max(seconds // 60, 1)


def password_reset_request(*, email: str) -> None:
    """Email a reset link to the active account with this address; silently nothing else.

    The caller answers alike whether or not an account exists (no enumeration). At most one
    email per address per ACCOUNT_EMAIL_COOLDOWN_SECONDS, so nobody can be mail-bombed.
    """
    email = normalize_email(email)
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    if not pending_signups.claim_email_cooldown(purpose="password-reset", email=email):
        return
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    email_send(
        to=user.email,
        template="accounts/email/password_reset",
        context={
            "first_name": user.first_name,
            "reset_path": reverse(
                "accounts:password_reset_confirm", kwargs={"uidb64": uidb64, "token": token}
            ),
            "minutes": _minutes(settings.PASSWORD_RESET_TIMEOUT),
        },
    )


def password_reset_user(*, uidb64: str, token: str) -> User:
    """The user a reset link was made for, if the link is still good; else InvalidToken."""
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        user = User.objects.get(pk=int(pk), is_active=True)
    except (ValueError, OverflowError, UnicodeDecodeError, User.DoesNotExist) as exc:
        raise InvalidToken() from exc
    if not default_token_generator.check_token(user, token):
        raise InvalidToken()
    return user


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    """Set an already validated password and sign the user out everywhere.

    Every outstanding refresh token is blacklisted; web sessions end by themselves because
    Django checks each session against a hash of the password. Access tokens are stateless
    and live out their ACCESS_TOKEN_LIFETIME (15 minutes).
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=outstanding) for outstanding in live], ignore_conflicts=True
    )
    return user


def password_reset_confirm(*, uidb64: str, token: str, new_password: str) -> User:
    """Check the link, then set the new password. Raises InvalidToken, or Django's
    ValidationError for a weak password (checked against the user's own details)."""
    user = password_reset_user(uidb64=uidb64, token=token)
    validate_new_password(
        new_password, email=user.email, first_name=user.first_name, last_name=user.last_name
    )
    return user_set_password(user=user, password=new_password)


def email_change_request(*, user: User, new_email: str, password: str) -> None:
    """Ask to move the account to `new_email`: the new address gets a confirmation link.

    Needs the current password (PasswordIncorrect). An address another account uses gets
    an email saying so instead of a link, and the caller answers alike (no enumeration).
    At most one email per new address per ACCOUNT_EMAIL_COOLDOWN_SECONDS.
    """
    if not user.check_password(password):
        raise PasswordIncorrect()
    new_email = normalize_email(new_email)
    if new_email == user.email:
        return
    if not pending_signups.claim_email_cooldown(purpose="email-change", email=new_email):
        return
    if user_email_taken(email=new_email):
        email_send(
            to=new_email,
            template="accounts/email/email_taken",
            context={"email": new_email, "reset_path": reverse("accounts:password_reset")},
        )
        return
    token = signing.dumps(
        {"user": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT
    )
    email_send(
        to=new_email,
        template="accounts/email/email_change",
        context={
            "first_name": user.first_name,
            "email": new_email,
            "confirm_path": reverse("accounts:email_confirm", kwargs={"token": token}),
            "hours": max(settings.EMAIL_CHANGE_TIMEOUT_SECONDS // 3600, 1),
        },
    )


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Move the account to the address the link was sent to; the old address is told.

    Raises InvalidToken (bad, expired, or already used: the link names the address it
    replaces) or EmailTaken (another account took the address meanwhile).
    """
    try:
        change = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=settings.EMAIL_CHANGE_TIMEOUT_SECONDS
        )
    except signing.BadSignature as exc:  # SignatureExpired is one too
        raise InvalidToken() from exc
    user = User.objects.select_for_update().filter(pk=change["user"], is_active=True).first()
    if user is None or user.email != change["old"]:
        raise InvalidToken()
    if user_email_taken(email=change["new"]):
        raise EmailTaken()
    user.email = change["new"]
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError as exc:  # taken between the check and the save
        raise EmailTaken() from exc
    email_send(
        to=change["old"],
        template="accounts/email/email_changed",
        context={"old_email": change["old"], "new_email": change["new"]},
    )
    return user
