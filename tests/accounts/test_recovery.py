"""Account recovery: password reset (API and pages) and email change with re-verification."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import errors, recovery
from accounts.apis import EMAIL_CHANGE_ACCEPTED, RESET_ACCEPTED
from accounts.models import User

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password/reset"
RESET_CONFIRM = "/api/v1/auth/password/reset/confirm"
EMAIL_CHANGE = "/api/v1/auth/email/change"
EMAIL_CONFIRM = "/api/v1/auth/email/confirm"
OLD_PASSWORD = "correct-horse-battery-9"  # tests/conftest.py make_user
NEW_PASSWORD = "violet-harbour-31"
RESET_LINK = re.compile(r"/accounts/reset/(?P<uid>[\w-]+)/(?P<token>[\w-]+)/")
CONFIRM_LINK = re.compile(r"/accounts/email/confirm/(?P<token>[^/\s\"]+)/")


def last_mail_to(email: str):
    for message in reversed(mail.outbox):
        if message.to == [email]:
            return message
    raise AssertionError(f"no email to {email}")


def reset_link(email: str) -> re.Match:
    match = RESET_LINK.search(last_mail_to(email).body)
    assert match, "no reset link in the email"
    return match


def confirm_token(email: str) -> str:
    match = CONFIRM_LINK.search(last_mail_to(email).body)
    assert match, "no confirmation link in the email"
    return match["token"]


@pytest.fixture
def ask_reset(api_client, sending):
    def post(email: str):
        with sending():
            return api_client.post(RESET, {"email": email}, format="json")

    return post


@pytest.fixture
def ask_email_change(auth_client, sending):
    def post(new_email: str, password: str = OLD_PASSWORD):
        with sending():
            return auth_client.post(
                EMAIL_CHANGE, {"new_email": new_email, "password": password}, format="json"
            )

    return post


def confirm_reset(client: APIClient, link: re.Match, password: str = NEW_PASSWORD):
    body = {"uid": link["uid"], "token": link["token"], "new_password": password}
    return client.post(RESET_CONFIRM, body, format="json")


# --- password reset: API ----------------------------------------------------------------


def test_reset_emails_a_link_that_sets_a_new_password(ask_reset, api_client, user):
    response = ask_reset("FAN@example.com")

    assert response.status_code == 202
    assert response.json() == {"detail": RESET_ACCEPTED}
    message = last_mail_to("fan@example.com")
    assert message.subject == "Reset your boxoffice password"
    assert RESET_LINK.search(message.alternatives[0][0])
    assert confirm_reset(api_client, reset_link("fan@example.com")).status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    login = {"email": "fan@example.com", "password": NEW_PASSWORD}
    assert api_client.post("/api/v1/auth/login/email", login, format="json").status_code == 200


@pytest.mark.parametrize("email", ["nobody@example.com", "inactive@example.com"])
def test_reset_of_an_unknown_or_inactive_address_answers_alike_and_sends_nothing(
    ask_reset, make_user, email
):
    make_user(email="inactive@example.com", is_active=False)

    response = ask_reset(email)

    assert response.status_code == 202
    assert response.json() == {"detail": RESET_ACCEPTED}
    assert mail.outbox == []


def test_reset_emails_are_limited_by_the_cooldown(ask_reset, user):
    ask_reset("fan@example.com")
    ask_reset("fan@example.com")

    assert len(mail.outbox) == 1


def test_a_reset_link_works_once(ask_reset, api_client, user):
    ask_reset("fan@example.com")
    link = reset_link("fan@example.com")
    assert confirm_reset(api_client, link).status_code == 204

    again = confirm_reset(api_client, link, password="another-harbour-77")

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("uid", "token"), [("MQ", "bad-token"), ("!!", "x"), ("OTk5OTk", "abc-def"), ("", "")]
)
def test_a_bad_reset_link_is_invalid_token_or_invalid(api_client, user, uid, token):
    body = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}
    response = api_client.post(RESET_CONFIRM, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == ("invalid" if not uid else "invalid_token")


def test_a_weak_new_password_is_400_invalid_and_keeps_the_link(ask_reset, api_client, user):
    ask_reset("fan@example.com")
    link = reset_link("fan@example.com")

    weak = confirm_reset(api_client, link, password="12345678")

    assert weak.status_code == 400
    assert weak.json()["code"] == "invalid"
    assert "new_password" in weak.json()["errors"]
    assert confirm_reset(api_client, link).status_code == 204


def test_reset_blacklists_every_refresh_token_of_the_user(ask_reset, api_client, user):
    refresh_tokens = [str(RefreshToken.for_user(user)) for _ in range(2)]
    ask_reset("fan@example.com")

    confirm_reset(api_client, reset_link("fan@example.com"))

    for refresh in refresh_tokens:
        response = api_client.post("/api/v1/auth/refresh", {"refresh": refresh}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "token_not_valid"


def test_reset_routes_are_throttled(api_client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1/min")
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "otp", "1/min")
    body = {"uid": "MQ", "token": "x", "new_password": NEW_PASSWORD}
    for path, data in [(RESET, {"email": "a@example.com"}), (RESET_CONFIRM, body)]:
        api_client.post(path, data, format="json")
        throttled = api_client.post(path, data, format="json")
        assert throttled.status_code == 429
        assert int(throttled["Retry-After"]) > 0


# --- password reset: pages --------------------------------------------------------------


def test_login_page_links_to_forgot_password():
    html = Client().get(reverse("accounts:login")).content.decode()

    assert f'href="{reverse("accounts:password_reset")}"' in html
    assert "Forgot password?" in html


def test_reset_pages_set_a_new_password_and_end_other_sessions(user, sending):
    signed_in = Client()
    signed_in.force_login(user)
    assert signed_in.get(reverse("accounts:account")).status_code == 200
    browser = Client()

    with sending():
        asked = browser.post(reverse("accounts:password_reset"), {"email": "fan@example.com"})
    assert asked["Location"] == reverse("accounts:password_reset_done")
    assert "Check your email" in browser.get(asked["Location"]).content.decode()
    link = reset_link("fan@example.com")
    form_page = browser.get(link[0], follow=True)
    assert 'autocomplete="new-password"' in form_page.content.decode()
    done = browser.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in.get(reverse("accounts:account")).status_code == 302  # signed out
    assert browser.get(link[0], follow=True).context["validlink"] is False


def test_reset_page_for_an_unknown_address_looks_the_same(sending):
    with sending():
        asked = Client().post(reverse("accounts:password_reset"), {"email": "no@example.com"})

    assert asked["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_a_bad_reset_link_page_says_so():
    page = Client().get("/accounts/reset/MQ/bad-token/").content.decode()

    assert errors.INVALID_TOKEN in page
    assert 'role="alert"' in page


def test_reset_page_is_throttled(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1/min")
    browser = Client()
    browser.post(reverse("accounts:password_reset"), {"email": "a@example.com"})

    throttled = browser.post(reverse("accounts:password_reset"), {"email": "a@example.com"})

    assert throttled.status_code == 429
    assert "Too many attempts" in throttled.content.decode()


# --- email change -----------------------------------------------------------------------


def test_email_change_emails_the_new_address_and_changes_only_when_confirmed(
    ask_email_change, api_client, user, sending
):
    response = ask_email_change("New.Fan@example.com")

    assert response.status_code == 202
    assert response.json() == {"detail": EMAIL_CHANGE_ACCEPTED}
    user.refresh_from_db()
    assert user.email == "fan@example.com"
    with sending():
        confirmed = api_client.post(
            EMAIL_CONFIRM, {"token": confirm_token("new.fan@example.com")}, format="json"
        )
    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == "new.fan@example.com"
    assert User.objects.get(pk=user.pk).email == "new.fan@example.com"
    notice = last_mail_to("fan@example.com")
    assert notice.subject == "Your boxoffice email has changed"
    assert "new.fan@example.com" in notice.body


def test_email_change_needs_the_current_password(ask_email_change):
    response = ask_email_change("new.fan@example.com", password="wrong-password-1")

    assert response.status_code == 400
    assert response.json() == {"detail": errors.PASSWORD_INCORRECT, "code": "password_incorrect"}
    assert mail.outbox == []


def test_email_change_needs_authentication(api_client):
    body = {"new_email": "x@example.com", "password": OLD_PASSWORD}

    assert api_client.post(EMAIL_CHANGE, body, format="json").status_code == 401


def test_me_patch_cannot_change_the_email(auth_client, user):
    auth_client.patch("/api/v1/auth/me", {"email": "sneaky@example.com"}, format="json")

    user.refresh_from_db()
    assert user.email == "fan@example.com"


def test_email_change_to_a_taken_address_answers_alike_and_tells_that_address(
    ask_email_change, make_user, user
):
    make_user(email="taken@example.com")

    response = ask_email_change("taken@example.com")

    assert response.status_code == 202
    assert response.json() == {"detail": EMAIL_CHANGE_ACCEPTED}
    message = last_mail_to("taken@example.com")
    assert message.subject == "Your email address is already on boxoffice"
    assert not CONFIRM_LINK.search(message.body)


def test_an_email_change_link_works_once(ask_email_change, api_client, user):
    ask_email_change("new.fan@example.com")
    token = confirm_token("new.fan@example.com")
    assert api_client.post(EMAIL_CONFIRM, {"token": token}, format="json").status_code == 200

    again = api_client.post(EMAIL_CONFIRM, {"token": token}, format="json")

    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"


def test_confirming_an_address_taken_meanwhile_is_409_email_taken(
    ask_email_change, api_client, make_user, user
):
    ask_email_change("new.fan@example.com")
    make_user(email="new.fan@example.com")

    response = api_client.post(
        EMAIL_CONFIRM, {"token": confirm_token("new.fan@example.com")}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "email_taken"
    assert User.objects.get(pk=user.pk).email == "fan@example.com"


@pytest.mark.parametrize("token", ["nonsense", "eyJ1c2VyIjoxfQ:forged:sig"])
def test_a_bad_email_change_token_is_invalid_token(api_client, token):
    response = api_client.post(EMAIL_CONFIRM, {"token": token}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"


def test_an_expired_email_change_link_is_invalid_token(ask_email_change, user, settings):
    ask_email_change("new.fan@example.com")
    settings.EMAIL_CHANGE_TIMEOUT_SECONDS = -1

    with pytest.raises(errors.InvalidToken):
        recovery.email_change_confirm(token=confirm_token("new.fan@example.com"))


def test_an_email_change_kills_older_password_reset_links(ask_reset, ask_email_change, user):
    ask_reset("fan@example.com")
    link = reset_link("fan@example.com")
    ask_email_change("new.fan@example.com")
    recovery.email_change_confirm(token=confirm_token("new.fan@example.com"))

    with pytest.raises(errors.InvalidToken):
        recovery.password_reset_user(uidb64=link["uid"], token=link["token"])


def test_account_page_changes_the_email_after_the_link(user, sending):
    browser = Client()
    browser.force_login(user)
    page = browser.get(reverse("accounts:account")).content.decode()
    assert 'name="email-new_email"' in page
    assert 'autocomplete="current-password"' in page

    with sending():
        asked = browser.post(
            reverse("accounts:email_change"),
            {"email-new_email": "new.fan@example.com", "email-password": OLD_PASSWORD},
        )
    assert asked["Location"] == reverse("accounts:account")
    confirm_url = reverse("accounts:email_confirm", args=[confirm_token("new.fan@example.com")])
    assert "Confirm my new email" in browser.get(confirm_url).content.decode()
    assert User.objects.get(pk=user.pk).email == "fan@example.com"  # GET changes nothing
    done = browser.post(confirm_url)

    assert done["Location"] == reverse("accounts:account")
    assert User.objects.get(pk=user.pk).email == "new.fan@example.com"


def test_account_page_says_when_the_password_is_wrong(user):
    browser = Client()
    browser.force_login(user)

    page = browser.post(
        reverse("accounts:email_change"),
        {"email-new_email": "new.fan@example.com", "email-password": "nope-nope-1"},
    )

    assert page.status_code == 200
    assert errors.PASSWORD_INCORRECT in page.content.decode()
    assert mail.outbox == []


def test_a_bad_email_confirm_link_page_says_so():
    page = Client().post(reverse("accounts:email_confirm", args=["nonsense"]))

    assert errors.INVALID_TOKEN in page.content.decode()
