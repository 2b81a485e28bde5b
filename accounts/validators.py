import phonenumbers
from django.core.exceptions import ValidationError

PHONE_INVALID = "Enter a valid phone number in international format, e.g. +44 20 7946 0958."


def normalize_phone(value: str) -> str:
    """Return the E.164 form of a phone number, or raise ValidationError."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(PHONE_INVALID, code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(PHONE_INVALID, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_phone(value: str) -> None:
    if value:
        normalize_phone(value)


def validate_new_password(
    password: str, *, email: str, first_name: str = "", last_name: str = ""
) -> None:
    """Run AUTH_PASSWORD_VALIDATORS, comparing against the sign-up's own details."""
    from django.contrib.auth.password_validation import validate_password

    from accounts.models import User  # here: accounts.models imports this module

    validate_password(password, user=User(email=email, first_name=first_name, last_name=last_name))
