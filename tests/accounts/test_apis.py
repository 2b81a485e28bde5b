import time

import pytest
from django.core import mail
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import errors, services
from accounts.apis import SIGNUP_ACCEPTED
from accounts.models import User
from tests.accounts.conftest import PASSWORD, cooldown_ends, last_otp, pending_key

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup/email"
VERIFY = "/api/v1/auth/verify-otp"
LOGIN = "/api/v1/auth/login/email"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def verify(client, email: str, otp: str):
    return client.post(VERIFY, {"email": email, "otp": otp}, format="json")


def wrong_code(otp: str) -> str:
    return f"{(int(otp) + 1) % 10**6:06d}"


# --- sign-up --------------------------------------------------------------------------


def test_signup_answers_202_and_emails_a_six_digit_code(signup):
    response = signup("New@Example.com", first_name="Ada")

    assert response.status_code == 202
    body = response.json()
    assert body == {
        "detail": SIGNUP_ACCEPTED,
        "email": "new@example.com",
        "signup_id": body["signup_id"],
    }
    assert len(body["signup_id"]) >= 20
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    otp = last_otp("new@example.com")
    assert otp.isdigit()
    assert len(otp) == 6
    html = message.alternatives[0][0]
    assert otp in html
    assert "Ada" in html


def test_the_pending_signup_keeps_only_hashes_in_redis(signup, redis_client):
    signup("new@example.com")
    otp = last_otp("new@example.com")

    stored = redis_client.hgetall(pending_key("new@example.com"))
    assert stored["password_hash"].startswith("argon2")
    assert otp not in pending_key("new@example.com")
    assert all(PASSWORD not in value and otp != value for value in stored.values())
    keys = [*redis_client.scan_iter("bo:signup:*")]
    assert not any("new@example.com" in key or otp in key for key in keys)
    assert 0 < redis_client.ttl(pending_key("new@example.com")) <= 300
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "new@example.com", "password": "123"}, "password"),
        ({"email": "new@example.com", "password": "password"}, "password"),
        ({"email": "new@example.com", "password": PASSWORD, "phone": "12"}, "phone"),
        ({"email": "new@example.com"}, "password"),
        ({"email": ["x"], "password": {"a": 1}}, "email"),
    ],
)
def test_signup_rejects_bad_input_with_400_invalid(api_client, body, field):
    response = api_client.post(SIGNUP, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert mail.outbox == []


def test_signup_with_malformed_json_is_400_not_500(api_client):
    response = api_client.post(SIGNUP, "{nope", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_signup_of_an_existing_account_answers_alike_and_emails_no_code(signup, user):
    new = signup("someone-new@example.com")
    existing = signup("FAN@example.com")

    assert existing.status_code == new.status_code == 202
    assert existing.json()["detail"] == new.json()["detail"]
    message = mail.outbox[-1]
    assert message.to == ["fan@example.com"]
    assert "already have" in message.subject
    assert "/accounts/login/" in message.body
    assert not any(word.isdigit() and len(word) == 6 for word in message.body.split())


def test_resigning_up_within_the_cooldown_sends_nothing_and_keeps_the_code(signup, api_client):
    signup("new@example.com")
    first_otp = last_otp("new@example.com")

    again = signup("new@example.com", password="another-pass-99")

    assert again.status_code == 202
    assert len(mail.outbox) == 1
    response = verify(api_client, "new@example.com", first_otp)
    assert response.status_code == 201
    assert User.objects.get().check_password(PASSWORD)


def test_after_the_cooldown_each_signup_code_activates_its_own_password(
    signup, api_client, redis_client
):
    signup("new@example.com")
    first_otp = last_otp("new@example.com")
    cooldown_ends(redis_client, "new@example.com")

    signup("new@example.com", password="another-pass-99")
    second_otp = last_otp("new@example.com")

    assert len(mail.outbox) == 2
    assert verify(api_client, "new@example.com", first_otp).status_code == 201
    assert User.objects.get().check_password(PASSWORD)
    # the account exists now: every other sign-up of the address is gone
    assert verify(api_client, "new@example.com", second_otp).json()["code"] == "otp_invalid"


def test_existing_account_emails_are_rate_limited_by_the_cooldown(signup, user):
    signup("fan@example.com")
    signup("fan@example.com")

    assert len(mail.outbox) == 1


# --- verify-otp -----------------------------------------------------------------------


def test_verify_creates_the_account_and_returns_tokens(signup, api_client):
    signup("new@example.com", first_name="Ada", last_name="Lovelace", phone="+44 20 7946 0958")

    response = verify(api_client, "NEW@example.com", last_otp("new@example.com"))

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(email="new@example.com")
    assert body["user"] == {
        "id": user.pk,
        "email": "new@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone": "+442079460958",
    }
    assert user.check_password(PASSWORD)
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert me.get(ME).json()["email"] == "new@example.com"
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}, format="json").status_code == 200


def test_a_code_works_only_once(signup, api_client):
    signup("new@example.com")
    otp = last_otp("new@example.com")
    assert verify(api_client, "new@example.com", otp).status_code == 201

    again = verify(api_client, "new@example.com", otp)

    assert again.status_code == 400
    assert again.json()["code"] == "otp_invalid"
    assert User.objects.count() == 1


def test_a_wrong_code_is_otp_invalid_and_counts_down(signup, api_client):
    signup("new@example.com")
    otp = last_otp("new@example.com")

    first = verify(api_client, "new@example.com", wrong_code(otp))
    second = verify(api_client, "new@example.com", wrong_code(otp))

    assert first.status_code == second.status_code == 400
    assert first.json()["code"] == "otp_invalid"
    assert [first.json()["attempts_left"], second.json()["attempts_left"]] == [4, 3]
    assert verify(api_client, "new@example.com", otp).status_code == 201


def test_five_wrong_codes_lock_the_signup_with_429(signup, api_client):
    signup("new@example.com")
    otp = last_otp("new@example.com")
    codes = [
        verify(api_client, "new@example.com", wrong_code(otp)).json()["code"] for _ in range(5)
    ]

    locked = verify(api_client, "new@example.com", otp)  # even the right code

    assert codes == ["otp_invalid"] * 5
    assert locked.status_code == 429
    assert locked.json()["code"] == "otp_locked"
    assert 0 < int(locked["Retry-After"]) <= 300
    assert not User.objects.exists()


def test_an_expired_code_is_otp_expired(signup, api_client, redis_client):
    signup("new@example.com")
    otp = last_otp("new@example.com")
    redis_client.pexpire(pending_key("new@example.com"), 1)  # the 5-minute TTL runs out
    time.sleep(0.01)

    response = verify(api_client, "new@example.com", otp)

    assert response.status_code == 400
    assert response.json()["code"] == "otp_expired"


def test_the_code_lives_for_otp_ttl_seconds(signup, redis_client, settings):
    settings.OTP_TTL_SECONDS = 120
    signup("new@example.com")

    assert 115 <= redis_client.ttl(pending_key("new@example.com")) <= 120


@pytest.mark.parametrize(
    ("otp", "code"),
    [
        ("123456", "otp_invalid"),
        ("abc", "otp_invalid"),
        ("1234567", "otp_invalid"),
        ("", "invalid"),
    ],
)
def test_a_code_for_an_address_with_no_signup_is_rejected(api_client, otp, code):
    response = verify(api_client, "nobody@example.com", otp)

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_code_pasted_with_a_space_is_accepted(signup, api_client):
    signup("new@example.com")
    otp = last_otp("new@example.com")

    assert verify(api_client, "new@example.com", f"{otp[:3]} {otp[3:]}").status_code == 201


def test_verify_refuses_when_the_address_got_an_account_meanwhile(signup, api_client, make_user):
    signup("new@example.com")
    make_user(email="new@example.com")  # e.g. created in the admin

    response = verify(api_client, "new@example.com", last_otp("new@example.com"))

    assert response.status_code == 400
    assert response.json() == {"detail": services.ACCOUNT_EXISTS, "code": "otp_invalid"}


# --- login ----------------------------------------------------------------------------


def test_login_returns_tokens_and_the_user(api_client, user):
    response = api_client.post(
        LOGIN, {"email": "Fan@Example.com", "password": "correct-horse-battery-9"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"] == {
        "id": user.pk,
        "email": "fan@example.com",
        "first_name": "Fran",
        "last_name": "Fan",
        "phone": "",
    }


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("fan@example.com", "wrong-password-1"),
        ("nobody@example.com", "correct-horse-battery-9"),
        ("not an email", "x"),
    ],
)
def test_login_failures_are_indistinguishable(api_client, user, email, password):
    response = api_client.post(LOGIN, {"email": email, "password": password}, format="json")

    assert response.status_code == 401
    assert response.json() == {
        "detail": errors.INVALID_CREDENTIALS,
        "code": "invalid_credentials",
    }


def test_an_inactive_user_cannot_log_in(api_client, make_user):
    make_user(email="gone@example.com", is_active=False)

    response = api_client.post(
        LOGIN, {"email": "gone@example.com", "password": "correct-horse-battery-9"}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_login_without_a_password_is_400_invalid(api_client):
    response = api_client.post(LOGIN, {"email": "fan@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["password"]


# --- refresh and logout ---------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_token(api_client, user):
    old = str(RefreshToken.for_user(user))

    response = api_client.post(REFRESH, {"refresh": old}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != old
    reused = api_client.post(REFRESH, {"refresh": old}, format="json")
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("kind", ["garbage", "access", "deleted_user", "inactive_user"])
def test_refresh_with_a_bad_token_is_401_token_not_valid(api_client, make_user, kind):
    user = make_user()
    token = RefreshToken.for_user(user)
    raw = {"garbage": "not.a.jwt", "access": str(token.access_token)}.get(kind, str(token))
    if kind == "deleted_user":
        user.delete()
    if kind == "inactive_user":
        User.objects.filter(pk=user.pk).update(is_active=False)

    response = api_client.post(REFRESH, {"refresh": raw}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_refresh_without_a_token_is_400(api_client):
    assert api_client.post(REFRESH, {}, format="json").json()["code"] == "invalid"


def test_logout_blacklists_the_refresh_token(auth_client, api_client, user):
    refresh = str(RefreshToken.for_user(user))

    response = auth_client.post(LOGOUT, {"refresh": refresh}, format="json")

    assert response.status_code == 204
    after = api_client.post(REFRESH, {"refresh": refresh}, format="json")
    assert after.status_code == 401
    assert after.json()["code"] == "token_not_valid"


def test_logout_needs_authentication(api_client, user):
    response = api_client.post(LOGOUT, {"refresh": str(RefreshToken.for_user(user))}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_logout_cannot_revoke_someone_elses_token(auth_client, api_client, make_user):
    other = str(RefreshToken.for_user(make_user()))

    response = auth_client.post(LOGOUT, {"refresh": other}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert api_client.post(REFRESH, {"refresh": other}, format="json").status_code == 200


# --- me -------------------------------------------------------------------------------


def test_me_returns_the_user(auth_client, user):
    response = auth_client.get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "fan@example.com",
        "first_name": "Fran",
        "last_name": "Fan",
        "phone": "",
    }


def test_me_patch_updates_the_profile_and_normalises_the_phone(auth_client, user):
    response = auth_client.patch(
        ME,
        {"last_name": "Fanning", "phone": "+1 (415) 555-2671", "email": "x@example.com"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["last_name"] == "Fanning"
    assert response.json()["phone"] == "+14155552671"
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("Fran", "Fanning", "fan@example.com")


def test_me_patch_rejects_a_bad_phone(auth_client):
    response = auth_client.patch(ME, {"phone": "call me maybe"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "phone" in response.json()["errors"]


@pytest.mark.parametrize("method", ["get", "patch"])
def test_me_needs_authentication(api_client, method):
    response = getattr(api_client, method)(ME, {}, format="json")

    assert response.status_code == 401


def test_a_bad_bearer_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")

    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


# --- shared behaviour -----------------------------------------------------------------


@pytest.mark.parametrize("path", [LOGIN, f"{LOGIN}/"])
def test_routes_answer_with_and_without_a_trailing_slash(api_client, user, path):
    response = api_client.post(
        path, {"email": "fan@example.com", "password": "correct-horse-battery-9"}, format="json"
    )

    assert response.status_code == 200


def test_public_routes_ignore_a_stale_session_cookie(user, signup):
    """A browser that is logged in on the site must not need a CSRF token to sign up."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(LOGIN, {"email": "x@example.com", "password": "y"}, format="json")

    assert response.status_code == 401


def test_auth_routes_are_throttled_with_retry_after(api_client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "otp", "2/min")
    body = {"email": "nobody@example.com", "otp": "123456"}

    statuses = [api_client.post(VERIFY, body, format="json").status_code for _ in range(3)]

    assert statuses == [400, 400, 429]
    throttled = api_client.post(VERIFY, body, format="json")
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0


def test_login_is_throttled_by_the_auth_rate(api_client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1/min")
    body = {"email": "nobody@example.com", "password": "x"}

    first = api_client.post(LOGIN, body, format="json")
    second = api_client.post(LOGIN, body, format="json")

    assert (first.status_code, second.status_code) == (401, 429)
    assert second.has_header("Retry-After")
