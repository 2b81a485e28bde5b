import re

import pytest
from django.core import mail

from accounts import pending_signups

PASSWORD = "zebra-lantern-42"
OTP_IN_SUBJECT = re.compile(r"^(\d{6}) is your boxoffice code$")


def last_otp(email: str) -> str:
    """The code from the newest OTP email sent to `email`."""
    for message in reversed(mail.outbox):
        if message.to == [email] and (match := OTP_IN_SUBJECT.match(message.subject)):
            assert match.group(1) in message.body
            return match.group(1)
    raise AssertionError(f"no OTP email to {email}")


def pending_key(email: str) -> str:
    """The Redis record of the sign-up whose code was emailed last to `email`."""
    return pending_signups.record_key(email=email, otp=last_otp(email))


def cooldown_ends(redis_client, email: str) -> None:
    redis_client.delete(pending_signups.keys_for(email).cooldown)


@pytest.fixture
def sending(django_capture_on_commit_callbacks):
    """`with sending(): client.post(...)` runs the request's on-commit email tasks."""

    def context():
        return django_capture_on_commit_callbacks(execute=True)

    return context


@pytest.fixture
def signup(api_client, sending):
    """POST /signup/email (emails delivered) and return the response."""

    def post(email: str = "new@example.com", password: str = PASSWORD, **extra):
        with sending():
            return api_client.post(
                "/api/v1/auth/signup/email",
                {"email": email, "password": password, **extra},
                format="json",
            )

    return post


@pytest.fixture
def verified(signup, api_client):
    """Sign up and verify `new@example.com`; returns the 201 body."""
    signup("new@example.com")
    response = api_client.post(
        "/api/v1/auth/verify-otp",
        {"email": "new@example.com", "otp": last_otp("new@example.com")},
        format="json",
    )
    assert response.status_code == 201
    return response.json()
