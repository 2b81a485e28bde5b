"""Why sign-up and sign-in say no: stable codes the API, the pages and the tests share."""

from config.errors import DomainError

OTP_INVALID = "That code is not right. Check the email we sent and try again."
OTP_EXPIRED = "That code has expired. Sign up again to get a new one."
OTP_LOCKED = "Too many wrong codes. Wait a while, then sign up again to get a new one."
INVALID_CREDENTIALS = "Email or password is incorrect."
LOCKED_OUT = (
    "Too many failed log-ins for this account or from this address. Please wait and try again."
)
TOKEN_NOT_VALID = "Token is invalid or expired."  # noqa: S105 (a message)


class OtpInvalid(DomainError):
    code = "otp_invalid"
    default_message = OTP_INVALID


class OtpExpired(DomainError):
    code = "otp_expired"
    default_message = OTP_EXPIRED


class OtpLocked(DomainError):
    """Raised with retry_after: how long the lock lasts (the API sends it as Retry-After)."""

    code = "otp_locked"
    default_message = OTP_LOCKED


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    default_message = INVALID_CREDENTIALS


class LockedOut(InvalidCredentials):
    """django-axes refused the attempt (too many failures); retry_after: the cool-off.
    A subclass of InvalidCredentials, so a page that handles a wrong password handles it."""

    code = "locked_out"
    default_message = LOCKED_OUT


class TokenNotValid(DomainError):
    code = "token_not_valid"
    default_message = TOKEN_NOT_VALID


INVALID_TOKEN = "This link is invalid or has expired. Ask for a new one."  # noqa: S105
PASSWORD_INCORRECT = "That password is not right."  # noqa: S105 (a message)
EMAIL_TAKEN = "Another account already uses this email address."


class InvalidToken(DomainError):
    """A password-reset or email-change link that is wrong, used or expired."""

    code = "invalid_token"
    default_message = INVALID_TOKEN


class PasswordIncorrect(DomainError):
    """The signed-in user's current password, asked again before a sensitive change."""

    code = "password_incorrect"
    default_message = PASSWORD_INCORRECT


class EmailTaken(DomainError):
    code = "email_taken"
    default_message = EMAIL_TAKEN
