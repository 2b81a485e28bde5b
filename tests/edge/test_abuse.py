"""Abuse: a forged X-Forwarded-For escapes no throttle; password guessing locks the account
(API, log-in page, admin) and the address, and a right password waits out the cool-off."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from config.throttles import ScopedRateThrottle, client_ip

LOGIN = "/api/v1/auth/login/email"
PASSWORD = "correct-horse-battery-9"  # tests/conftest.py make_user's default
LIMIT = 5  # AXES_FAILURE_LIMIT


# --- the client's address ------------------------------------------------------------
@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # default: the header is ignored
        (["10.0.0.0/8"], "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not from our proxy
        (["10.0.0.0/8"], "10.0.0.2", "1.2.3.4", "1.2.3.4"),
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # left part is forged
        (["10.0.0.0/8"], "10.0.0.2", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"),  # 2 proxies
        (["10.0.0.0/8"], "10.0.0.2", "", "10.0.0.2"),
        (["10.0.0.0/8"], "10.0.0.2", "10.0.0.3, garbage", "10.0.0.2"),
        (["10.0.0.2", "2001:db8::/32"], "2001:db8::1", "2001:db9::5", "2001:db9::5"),
    ],
)
def test_client_ip_believes_the_header_only_from_trusted_proxies(
    rf, trusted, remote, forwarded, expected
):
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXIES=trusted):
        assert client_ip(request) == expected


@pytest.mark.django_db
def test_varying_x_forwarded_for_does_not_escape_the_login_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client = APIClient()
    body = {"email": "nobody@example.com", "password": "wrong"}

    statuses = [
        client.post(LOGIN, body, format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(6)
    ]

    assert statuses == [401, 401, 401, 429, 429, 429]


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1/min")
    client = APIClient()
    body = {"email": "nobody@example.com", "password": "wrong"}

    first = client.post(LOGIN, body, format="json", HTTP_X_FORWARDED_FOR="198.51.100.1")
    other = client.post(LOGIN, body, format="json", HTTP_X_FORWARDED_FOR="198.51.100.2")
    again = client.post(LOGIN, body, format="json", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert (first.status_code, other.status_code, again.status_code) == (401, 401, 429)


# --- lockout -----------------------------------------------------------------------------
def _fail_api_logins(client, email, times, **extra):
    return [
        client.post(LOGIN, {"email": email, "password": "wrong"}, format="json", **extra)
        for _ in range(times)
    ]


@pytest.mark.django_db
def test_api_login_locks_the_account_and_the_right_password_waits_out_the_cool_off(user):
    client = APIClient()
    failures = _fail_api_logins(client, user.email, LIMIT)
    assert [r.status_code for r in failures[:-1]] == [401] * (LIMIT - 1)
    assert failures[-1].status_code == 429  # the attempt that reached the limit

    # From another address too: the account itself is locked.
    locked = client.post(
        LOGIN, {"email": user.email, "password": PASSWORD}, format="json", REMOTE_ADDR="192.0.2.77"
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert int(locked["Retry-After"]) == 15 * 60

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        after = client.post(
            LOGIN,
            {"email": user.email, "password": PASSWORD},
            format="json",
            REMOTE_ADDR="192.0.2.77",
        )
    assert after.status_code == 200
    assert "access" in after.json()


@pytest.mark.django_db
def test_the_account_counter_ignores_the_email_case(user):
    client = APIClient()
    _fail_api_logins(client, user.email.upper(), LIMIT, REMOTE_ADDR="192.0.2.1")

    locked = client.post(
        LOGIN, {"email": user.email, "password": PASSWORD}, format="json", REMOTE_ADDR="192.0.2.2"
    )

    assert locked.status_code == 429


@pytest.mark.django_db
def test_one_address_guessing_many_accounts_is_locked_out(make_user):
    victim = make_user(email="victim@example.com")
    client = APIClient()
    for i in range(LIMIT):
        _fail_api_logins(client, f"guess{i}@example.com", 1, REMOTE_ADDR="192.0.2.50")

    locked = client.post(
        LOGIN,
        {"email": victim.email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.50",
    )
    elsewhere = client.post(
        LOGIN,
        {"email": victim.email, "password": PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.51",
    )

    assert locked.status_code == 429
    assert elsewhere.status_code == 200


@pytest.mark.django_db
def test_admin_brute_force_is_refused_even_with_the_right_password(client, staff_user):
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": staff_user.email, "password": "wrong"})

    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff_user.email, "password": PASSWORD}
    )

    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_log_in_page_shows_the_lockout_page(client, user):
    for _ in range(LIMIT):
        client.post("/accounts/login/", {"email": user.email, "password": "wrong"})

    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})

    assert response.status_code == 429
    assert b"Too many failed log-ins" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_reset_the_address_lockout(make_user):
    client = APIClient()
    for i in range(LIMIT):
        _fail_api_logins(client, f"guess{i}@example.com", 1, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    victim = make_user(email="victim@example.com")

    response = client.post(
        LOGIN,
        {"email": victim.email, "password": PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )

    assert response.status_code == 429
