"""Sign-up attacks: someone else's sign-up for your address, and slow code guessing.

Each sign-up is its own record, found by its code (and, when the requester is named, by
the requester too), so the owner's code activates the owner's password. Wrong codes are
limited per address over OTP_GUESS_WINDOW_SECONDS, whatever the number of sign-ups.
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts import pending_signups, services
from accounts.models import User
from tests.accounts.conftest import cooldown_ends, last_otp
from tests.concurrency import MAX_REDIS_THREADS, run_concurrently

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup/email"
VERIFY = "/api/v1/auth/verify-otp"
VICTIM = "victim@example.com"
VICTIM_PASSWORD = "victims-own-secret-77"
ATTACKER_PASSWORD = "attackers-choice-55"


@pytest.fixture(autouse=True)
def _no_request_throttle(monkeypatch):
    """Here the per-address code limit is under test, not the per-client request rate."""
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "otp", "1000/min")
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1000/min")


@pytest.fixture
def api_signup(sending):
    def post(client: APIClient, password: str, email: str = VICTIM) -> dict:
        with sending():
            response = client.post(SIGNUP, {"email": email, "password": password}, format="json")
        assert response.status_code == 202
        return response.json()

    return post


def verify(client: APIClient, otp: str, **extra):
    return client.post(VERIFY, {"email": VICTIM, "otp": otp, **extra}, format="json")


def wrong(otp: str, n: int = 1) -> str:
    return f"{(int(otp) + n) % 10**6:06d}"


def test_attacker_then_victim_the_victims_code_activates_the_victims_password(
    api_signup, redis_client
):
    attacker, victim = APIClient(), APIClient()
    api_signup(attacker, ATTACKER_PASSWORD)
    attackers_code = last_otp(VICTIM)  # mailed to the victim; the attacker never sees it
    cooldown_ends(redis_client, VICTIM)
    api_signup(victim, VICTIM_PASSWORD)
    victims_code = last_otp(VICTIM)

    response = verify(victim, victims_code)

    assert response.status_code == 201
    account = User.objects.get(email=VICTIM)
    assert account.check_password(VICTIM_PASSWORD)
    assert not account.check_password(ATTACKER_PASSWORD)
    assert verify(attacker, attackers_code).json()["code"] == "otp_invalid"
    assert User.objects.get(email=VICTIM).check_password(VICTIM_PASSWORD)


def test_victim_then_attacker_the_victims_code_still_activates_the_victims_password(
    api_signup, redis_client
):
    victim, attacker = APIClient(), APIClient()
    api_signup(victim, VICTIM_PASSWORD)
    victims_code = last_otp(VICTIM)
    cooldown_ends(redis_client, VICTIM)
    api_signup(attacker, ATTACKER_PASSWORD)  # used to replace the pending password

    assert verify(victim, victims_code).status_code == 201
    assert User.objects.get(email=VICTIM).check_password(VICTIM_PASSWORD)


def test_with_its_signup_id_a_client_cannot_activate_someone_elses_signup(api_signup, redis_client):
    attacker, victim = APIClient(), APIClient()
    api_signup(attacker, ATTACKER_PASSWORD)
    attackers_code = last_otp(VICTIM)
    cooldown_ends(redis_client, VICTIM)
    victims_id = api_signup(victim, VICTIM_PASSWORD)["signup_id"]
    victims_code = last_otp(VICTIM)

    # the victim types the wrong email's code: refused, and no account with a foreign password
    refused = verify(victim, attackers_code, signup_id=victims_id)

    assert refused.status_code == 400
    assert refused.json()["code"] == "otp_invalid"
    assert not User.objects.exists()
    assert verify(victim, victims_code, signup_id=victims_id).status_code == 201
    assert User.objects.get(email=VICTIM).check_password(VICTIM_PASSWORD)


def test_on_the_web_a_code_from_someone_elses_signup_is_refused(api_signup, sending, redis_client):
    api_signup(APIClient(), ATTACKER_PASSWORD)
    attackers_code = last_otp(VICTIM)
    browser = Client()
    with sending():  # within the attacker's cooldown: no new code is mailed
        browser.post(reverse("accounts:signup"), {"email": VICTIM, "password": VICTIM_PASSWORD})

    page = browser.post(reverse("accounts:verify"), {"otp": attackers_code})

    assert page.status_code == 200
    assert "not right" in page.content.decode()
    assert not User.objects.exists()
    cooldown_ends(redis_client, VICTIM)
    with sending():
        browser.post(reverse("accounts:signup"), {"email": VICTIM, "password": VICTIM_PASSWORD})
    assert browser.post(reverse("accounts:verify"), {"otp": last_otp(VICTIM)}).status_code == 302
    assert User.objects.get(email=VICTIM).check_password(VICTIM_PASSWORD)


def test_a_double_submitted_web_signup_keeps_its_first_code(sending):
    browser = Client()
    for _ in range(2):
        with sending():
            browser.post(reverse("accounts:signup"), {"email": VICTIM, "password": VICTIM_PASSWORD})

    assert browser.post(reverse("accounts:verify"), {"otp": last_otp(VICTIM)}).status_code == 302


def test_re_signup_guessing_is_refused_after_the_per_address_limit(api_signup, redis_client):
    guesser = APIClient()
    answers = []
    for _ in range(2):
        api_signup(guesser, ATTACKER_PASSWORD)
        code = last_otp(VICTIM)
        answers += [verify(guesser, wrong(code, n)).json()["code"] for n in range(1, 6)]
        assert verify(guesser, code).json()["code"] == "otp_locked"  # the sign-up's own lock
        cooldown_ends(redis_client, VICTIM)
    api_signup(guesser, ATTACKER_PASSWORD)

    refused = verify(guesser, last_otp(VICTIM))  # even the right code

    assert answers == ["otp_invalid"] * 10
    assert refused.status_code == 429
    assert refused.json()["code"] == "otp_locked"
    window = settings.OTP_GUESS_WINDOW_SECONDS
    assert settings.OTP_TTL_SECONDS < int(refused["Retry-After"]) <= window
    assert not User.objects.exists()


def test_attempts_left_counts_down_to_the_address_limit(api_signup, redis_client):
    client = APIClient()
    api_signup(client, VICTIM_PASSWORD)
    code = last_otp(VICTIM)
    for n in range(1, 5):
        verify(client, wrong(code, n))  # 4 wrong: the sign-up has 1 left, the address 6
    cooldown_ends(redis_client, VICTIM)
    api_signup(client, VICTIM_PASSWORD)
    code = last_otp(VICTIM)

    lefts = [verify(client, wrong(code, n)).json()["attempts_left"] for n in range(1, 6)]

    assert lefts == [4, 3, 2, 1, 0]  # the sign-up's 5 fresh tries, then the address's 6th
    assert verify(client, wrong(code, 6)).json()["code"] == "otp_locked"


def test_after_the_guess_window_the_address_can_sign_up_again(api_signup, redis_client):
    client = APIClient()
    for _ in range(2):
        api_signup(client, VICTIM_PASSWORD)
        code = last_otp(VICTIM)
        for n in range(1, 6):
            verify(client, wrong(code, n))
        cooldown_ends(redis_client, VICTIM)
    redis_client.delete(pending_signups.keys_for(VICTIM).guesses)  # the window ran out
    api_signup(client, VICTIM_PASSWORD)

    assert verify(client, last_otp(VICTIM)).status_code == 201


def test_guesses_at_an_address_with_no_signup_neither_count_nor_lock(api_signup):
    client = APIClient()
    for n in range(15):
        assert verify(client, f"{n:06d}").json()["code"] == "otp_invalid"
    api_signup(client, VICTIM_PASSWORD)

    assert verify(client, last_otp(VICTIM)).status_code == 201


def test_wrong_codes_from_threads_never_exceed_the_address_limit(settings):
    settings.OTP_MAX_ATTEMPTS = 1000  # only the per-address limit is in play
    signup = pending_signups.PendingSignup(
        password_hash="argon2$x", first_name="", last_name="", phone=""
    )
    pending_signups.store(email=VICTIM, otp="111111", signup=signup)

    outcomes = run_concurrently(
        lambda i: services.signup_verify(email=VICTIM, otp=f"{i + 200000}"),
        range(48),
        threads=MAX_REDIS_THREADS,
    )

    invalid = [o for o in outcomes if isinstance(o, services.OtpInvalid)]
    locked = [o for o in outcomes if isinstance(o, services.OtpLocked)]
    limit = settings.OTP_MAX_ATTEMPTS_PER_WINDOW
    assert len(invalid) == limit
    assert len(locked) == 48 - limit
    assert sorted(o.extra["attempts_left"] for o in invalid) == list(range(limit))
