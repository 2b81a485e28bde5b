"""A fan who forgot the password resets it from the login page and logs in again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OLD_PASSWORD = "forgotten-lantern-12"
NEW_PASSWORD = "remembered-harbour-34"
RESET_LINK = re.compile(r"https?://[^\s]+/accounts/reset/[\w-]+/[\w-]+/")


def _reset_link(outbox, email: str) -> str:
    for message in reversed(outbox):
        if email in message.to and (match := RESET_LINK.search(message.body)):
            return match.group(0)
    raise AssertionError(f"no reset link to {email}; outbox has {[m.to for m in outbox]}")


def test_fan_resets_a_forgotten_password_and_logs_in(
    site, page, journey, make_user, locked, mailoutbox, settings
):
    settings.SITE_URL = site.url
    with locked():
        make_user(email="rita.reset@example.com", password=OLD_PASSWORD, first_name="Rita")

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", level=1, name="Forgot your password?")).to_be_visible()
    page.get_by_label("Email").fill("rita.reset@example.com")
    journey.step(page, "forgot password")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1, name="Check your email")).to_be_visible()
    journey.step(page, "reset link sent")

    link = _reset_link(mailoutbox, "rita.reset@example.com")
    page.goto(link)
    expect(page.get_by_role("heading", level=1, name="Choose a new password")).to_be_visible()
    assert "/set-password/" in page.url  # the token left the address bar
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    journey.step(page, "choose a new password")
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", level=1, name="Your password is changed")).to_be_visible()
    journey.step(page, "password changed")

    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Email").fill("rita.reset@example.com")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/accounts/me/")
    expect(page.get_by_role("heading", level=2, name="Change your email")).to_be_visible()
    expect(page.get_by_label("Current password")).to_be_visible()
    journey.step(page, "account page with email change")

    page.goto(link)  # the link worked once
    expect(page.get_by_role("heading", level=1, name="This link does not work")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_visible()
    journey.step(page, "used reset link")
