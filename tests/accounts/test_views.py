import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from accounts.errors import INVALID_CREDENTIALS, OTP_INVALID, OTP_LOCKED
from accounts.models import User
from tests.accounts.conftest import PASSWORD, last_otp

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=False)


@pytest.fixture
def web_signup(client, sending):
    def submit(email: str = "web@example.com", next_url: str = "", **extra):
        url = reverse("accounts:signup") + (f"?next={next_url}" if next_url else "")
        with sending():
            return client.post(url, {"email": email, "password": PASSWORD, **extra})

    return submit


def test_signup_page_has_accessible_fields(client):
    html = client.get(reverse("accounts:signup")).content.decode()

    assert '<label for="id_email">' in html
    assert 'autocomplete="email"' in html
    assert 'autocomplete="new-password"' in html
    assert 'autocomplete="given-name"' in html
    assert 'type="tel"' in html
    assert "csrfmiddlewaretoken" in html


def test_sign_up_enter_the_code_and_be_signed_in(client, web_signup):
    response = web_signup("Web@Example.com", first_name="Ada", phone="+44 20 7946 0958")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")

    page = client.get(reverse("accounts:verify")).content.decode()
    assert "web@example.com" in page
    assert 'inputmode="numeric"' in page
    assert 'autocomplete="one-time-code"' in page

    response = client.post(reverse("accounts:verify"), {"otp": last_otp("web@example.com")})

    assert response.status_code == 302
    assert response["Location"] == reverse("concerts:home")
    user = User.objects.get(email="web@example.com")
    assert (user.first_name, user.phone) == ("Ada", "+442079460958")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get(reverse("accounts:account")).status_code == 200


def test_sign_up_keeps_next_until_the_code_is_entered(client, web_signup):
    web_signup(next_url="/queue/5/")

    response = client.post(reverse("accounts:verify"), {"otp": last_otp("web@example.com")})

    assert response["Location"] == "/queue/5/"


def test_sign_up_shows_field_errors(client):
    response = client.post(
        reverse("accounts:signup"), {"email": "web@example.com", "password": "1"}
    )

    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert mail.outbox == []


def test_sign_up_of_an_existing_account_looks_the_same(client, web_signup, user):
    response = web_signup("fan@example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")
    assert "already have" in mail.outbox[0].subject


def test_a_wrong_code_shows_an_error_and_five_lock_it(client, web_signup):
    web_signup()
    otp = last_otp("web@example.com")
    wrong = f"{(int(otp) + 1) % 10**6:06d}"

    first = client.post(reverse("accounts:verify"), {"otp": wrong})
    for _ in range(4):
        client.post(reverse("accounts:verify"), {"otp": wrong})
    locked = client.post(reverse("accounts:verify"), {"otp": otp})

    assert OTP_INVALID.replace("'", "&#x27;") in first.content.decode()
    assert OTP_LOCKED in locked.content.decode()
    assert "Sign up again" in locked.content.decode()
    assert not User.objects.exists()


def test_verify_without_a_signup_goes_to_signup(client):
    response = client.get(reverse("accounts:verify"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup")


def test_log_in_follows_next(client, user):
    response = client.post(
        reverse("accounts:login") + "?next=/bookings/mine/",
        {"email": "fan@example.com", "password": "correct-horse-battery-9"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/bookings/mine/"


def test_log_in_ignores_an_offsite_next(client, user):
    response = client.post(
        reverse("accounts:login"),
        {
            "email": "fan@example.com",
            "password": "correct-horse-battery-9",
            "next": "https://evil.example/",
        },
    )

    assert response["Location"] == reverse("concerts:home")


def test_log_in_with_a_wrong_password_says_so_without_detail(client, user):
    response = client.post(
        reverse("accounts:login"), {"email": "fan@example.com", "password": "wrong-one-1"}
    )

    assert response.status_code == 200
    assert INVALID_CREDENTIALS in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_log_in_page_is_throttled(client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1/min")
    data = {"email": "fan@example.com", "password": "wrong-one-1"}
    client.post(reverse("accounts:login"), data)

    response = client.post(reverse("accounts:login"), data)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()


def test_log_out_is_post_only(client, user):
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_log_out_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.post(reverse("accounts:logout")).status_code == 403


def test_account_page_needs_login(client):
    response = client.get(reverse("accounts:account"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={reverse('accounts:account')}"


def test_account_page_edits_the_profile(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:account"),
        {"first_name": "Frances", "last_name": "Fan", "phone": "+1 415 555 2671"},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.phone) == ("Frances", "+14155552671")
    assert "Your details are saved." in client.get(reverse("accounts:account")).content.decode()


def test_account_page_rejects_a_bad_phone(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:account"), {"phone": "nope"})

    assert response.status_code == 200
    assert "valid phone number" in response.content.decode()
    user.refresh_from_db()
    assert user.phone == ""


@pytest.mark.parametrize("name", ["accounts:login", "accounts:signup"])
def test_signed_in_fans_skip_login_and_signup(client, user, name):
    client.force_login(user)

    response = client.get(reverse(name) + "?next=/bookings/mine/")

    assert response["Location"] == "/bookings/mine/"
