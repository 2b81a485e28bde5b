"""Races on sign-up codes and refresh tokens, with real threads."""

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import pending_signups, services
from accounts.models import User
from tests.accounts.conftest import PASSWORD, last_otp
from tests.concurrency import run_concurrently


def test_wrong_codes_from_threads_never_exceed_the_attempt_limit():
    email = "racer@example.com"
    signup = pending_signups.PendingSignup(
        password_hash="argon2$x", first_name="", last_name="", phone=""
    )
    pending_signups.store(email=email, otp="111111", signup=signup)

    outcomes = run_concurrently(
        lambda i: services.signup_verify(email=email, otp=f"{i + 200000}"), range(24)
    )

    invalid = [o for o in outcomes if isinstance(o, services.OtpInvalid)]
    locked = [o for o in outcomes if isinstance(o, services.OtpLocked)]
    assert len(invalid) == settings.OTP_MAX_ATTEMPTS
    assert len(locked) == 24 - settings.OTP_MAX_ATTEMPTS
    assert sorted(o.extra["attempts_left"] for o in invalid) == list(
        range(settings.OTP_MAX_ATTEMPTS)
    )
    with pytest.raises(services.OtpLocked):
        services.signup_verify(email=email, otp="111111")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_verifications_create_one_user():
    services.signup_start(email="twin@example.com", password=PASSWORD)
    otp = last_otp("twin@example.com")

    outcomes = run_concurrently(
        lambda _: services.signup_verify(email="twin@example.com", otp=otp), range(2)
    )

    users = [o for o in outcomes if isinstance(o, User)]
    assert len(users) == 1
    assert [type(o) for o in outcomes if not isinstance(o, User)] == [services.OtpInvalid]
    assert User.objects.filter(email="twin@example.com").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refresh_token_presented_twice_at_once_rotates_once(make_user):
    refresh = str(RefreshToken.for_user(make_user()))

    outcomes = run_concurrently(lambda _: services.token_refresh(refresh=refresh), range(4))

    pairs = [o for o in outcomes if isinstance(o, dict)]
    assert len(pairs) == 1
    assert all(isinstance(o, services.TokenNotValid) for o in outcomes if o not in pairs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_signups_of_one_address_verified_at_once_create_one_user():
    services.signup_start(email="both@example.com", password=PASSWORD)
    first = last_otp("both@example.com")
    pending_signups.get_redis().delete(pending_signups.keys_for("both@example.com").cooldown)
    services.signup_start(email="both@example.com", password="another-pass-99")
    second = last_otp("both@example.com")

    outcomes = run_concurrently(
        lambda otp: services.signup_verify(email="both@example.com", otp=otp), [first, second]
    )

    users = [o for o in outcomes if isinstance(o, User)]
    assert len(users) == 1
    assert [type(o) for o in outcomes if not isinstance(o, User)] == [services.OtpInvalid]
    assert User.objects.filter(email="both@example.com").count() == 1
