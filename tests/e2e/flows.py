"""What a fan does on each page, written once and shared by the scenarios.

Selectors are the ones a person (or a screen reader) uses: roles, accessible names and
labels, never CSS classes.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.api import FAKE_CARD_DECLINED, FAKE_CARD_OK  # noqa: F401  (re-exported)
from tests.e2e.harness import Journey

SELECT_URL = re.compile(r"/bookings/concert/\d+/?$")
CHECKOUT_URL = re.compile(r"/checkout/\d+/?$")
BOOKING_URL = re.compile(r"/bookings/BO-[A-Z0-9]+/?$")
ADMISSION_TIMEOUT_MS = 20_000


def live_region(page: Page):
    """The waiting room's polite status region, the one a screen reader announces."""
    return page.locator("main [aria-live='polite']")


def expect_position(page: Page, position: int) -> None:
    """The waiting room shows this place in line (the big number under "Your place in line")."""
    expect(page.get_by_text("Your place in line", exact=True)).to_be_visible(
        timeout=ADMISSION_TIMEOUT_MS
    )
    expect(page.locator("main [data-field='position']")).to_have_text(
        str(position), timeout=ADMISSION_TIMEOUT_MS
    )
    expect(page.get_by_role("progressbar")).to_be_visible()


def wait_for_admission(page: Page, journey: Journey) -> None:
    """From the waiting room to the ticket selection page, as the fan's own page shows it."""
    your_turn = page.get_by_role("heading", name=re.compile(r"^It.s your turn"))
    choose_heading = page.get_by_role("heading", name="Choose your tickets")
    expect(your_turn.or_(choose_heading).first).to_be_visible(timeout=ADMISSION_TIMEOUT_MS)
    if not SELECT_URL.search(page.url):
        expect(page.get_by_role("main").locator("[aria-live='assertive']")).to_contain_text(
            re.compile(r"your turn", re.I)
        )
        journey.step(page, "waiting room: it's your turn")
        page.get_by_role("link", name="Choose your tickets").click()
        page.wait_for_url(SELECT_URL)
    expect(choose_heading).to_be_visible()


def choose_tickets(page: Page, journey: Journey, *, category: str, quantity: int) -> None:
    journey.step(page, "choose tickets")
    page.get_by_role("radio", name=re.compile(rf"^{re.escape(category)}\b")).check()
    page.get_by_label("Number of tickets").select_option(str(quantity))
    journey.step(page, f"chose {quantity} x {category}", axe=False)
    page.get_by_role("button", name=re.compile(r"hold .*seats", re.I)).click()
    page.wait_for_url(CHECKOUT_URL)
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    expect(page.get_by_role("timer")).to_be_visible()


def pay_with_card(page: Page, journey: Journey, card: str, *, label: str) -> None:
    spaced = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    page.get_by_label("Card number").fill(spaced)
    journey.step(page, f"checkout: {label} card entered", axe=False)
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def expect_tickets_with_qr(page: Page, quantity: int):
    """The booking's tickets, each with a QR code image; returns the ticket codes."""
    tickets = page.get_by_role("list", name=re.compile(r"^Tickets of booking")).first
    expect(tickets.get_by_role("listitem")).to_have_count(quantity)
    qr = tickets.get_by_role("img", name=re.compile(r"^QR code for ticket"))
    expect(qr).to_have_count(quantity)
    for i in range(quantity):
        expect(qr.nth(i)).to_be_visible()
    codes = tickets.locator(".code").all_inner_texts()
    assert len(codes) == quantity, codes
    assert all(len(c.strip()) >= 16 for c in codes), codes
    return [c.strip() for c in codes]


def otp_from_outbox(outbox, email: str) -> str:
    """The 6-digit code from the newest sign-up email sent to `email`."""
    for message in reversed(outbox):
        if email in message.to:
            match = re.search(r"\b(\d{3}) ?(\d{3})\b", message.body)
            assert match, f"no code in the email: {message.body[:300]}"
            return match.group(1) + match.group(2)
    raise AssertionError(f"no email to {email}; outbox has {[m.to for m in outbox]}")
