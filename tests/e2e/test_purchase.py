"""A fan buys tickets in a real browser: sign-up, waiting room, seats, payment, tickets."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import ApiFan
from tests.e2e.flows import (
    BOOKING_URL,
    CHECKOUT_URL,
    FAKE_CARD_DECLINED,
    FAKE_CARD_OK,
    choose_tickets,
    expect_position,
    expect_tickets_with_qr,
    live_region,
    otp_from_outbox,
    pay_with_card,
    wait_for_admission,
)
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _category(concert, name):
    return concert.categories.get(name=name)


def test_fan_signs_up_waits_in_line_and_buys_two_tickets(
    site, page, new_context, journey, concerts, mailoutbox, settings, make_user, locked
):
    settings.QUEUE_MAX_ACTIVE_USERS = 1  # one fan chooses seats at a time: a visible line
    concert = concerts["on_sale"]
    with locked():
        seated_before = _category(concert, "Seated").available_seats
        ahead_users = [make_user(email=f"early{i}@example.com") for i in range(3)]

    # Three fans arrived first: one is choosing seats, two wait ahead of ours.
    http = new_context().request
    choosing, *waiting = (ApiFan(http, u) for u in ahead_users)
    choosing.join(concert.pk)
    choosing.wait_until_active(concert.pk)
    for fan in waiting:
        fan.join(concert.pk)

    # Home page -> the concert on sale.
    page.goto("/")
    expect(page.get_by_role("heading", name="Upcoming concerts")).to_be_visible()
    journey.step(page, "home")
    # Keyboard users: the first Tab reaches "Skip to content", which moves focus to main.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.get_by_role("link", name="Aurora Skies").click()
    expect(page.get_by_role("heading", level=1, name="Aurora Skies")).to_be_visible()
    journey.step(page, "concert page")

    # "Get tickets" needs an account: sign up with the emailed code.
    page.get_by_role("link", name="Get tickets").click()
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    journey.step(page, "log in or create an account")
    page.get_by_role("main").get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1, name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill("nora.fan@example.com")
    page.get_by_label("Password").fill("velvet-morning-2931")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Fan")
    journey.step(page, "sign up form filled")
    page.get_by_role("button", name="Email me a code").click()

    expect(page.get_by_role("heading", level=1, name="Check your email")).to_be_visible()
    journey.step(page, "enter the emailed code")
    code = otp_from_outbox(mailoutbox, "nora.fan@example.com")
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Confirm and sign in").click()

    # The waiting room: third in line, announced to screen readers, counting down.
    page.wait_for_url(re.compile(r"/queue/\d+/?$"))
    expect_position(page, 3)
    expect(live_region(page)).to_contain_text("You are number 3 in line")  # screen readers
    journey.step(page, "waiting room: 3rd in line")
    waiting[0].leave(concert.pk)
    expect_position(page, 2)
    journey.step(page, "waiting room: 2nd in line", axe=False)
    waiting[1].leave(concert.pk)
    expect_position(page, 1)
    journey.step(page, "waiting room: next in line", axe=False)
    choosing.leave(concert.pk)  # the fan ahead is done: the turnstile lets ours in
    wait_for_admission(page, journey)

    # Two seated tickets, paid with the good test card.
    choose_tickets(page, journey, category="Seated", quantity=2)
    journey.step(page, "checkout")
    pay_with_card(page, journey, FAKE_CARD_OK, label="4242")
    page.wait_for_url(BOOKING_URL)
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    codes = expect_tickets_with_qr(page, 2)
    journey.step(page, "booking confirmed with tickets")
    reference = re.search(r"BO-[A-Z0-9]+", page.url).group(0)

    # "My tickets" lists them too.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My tickets").click()
    expect(page.get_by_role("heading", level=1, name="My tickets")).to_be_visible()
    # the tickets section and the order history both name the booking
    expect(page.get_by_role("main").get_by_text(reference).first).to_be_visible()
    assert expect_tickets_with_qr(page, 2) == codes
    journey.step(page, "my tickets")

    with locked():
        from bookings.models import Booking

        booking = Booking.objects.get(reference=reference)
        assert booking.status == Booking.Status.CONFIRMED
        assert booking.user.email == "nora.fan@example.com"
        assert sorted(booking.tickets.values_list("code", flat=True)) == sorted(codes)
        assert _category(concert, "Seated").available_seats == seated_before - 2
    # The confirmation email carries the reference and one inline QR image per ticket.
    confirmations = [m for m in mailoutbox if reference in (m.subject + m.body)]
    assert confirmations, f"no confirmation email; outbox: {[m.subject for m in mailoutbox]}"
    images = [a for a in confirmations[-1].attachments if getattr(a, "get_content_maintype", None)]
    assert sum(a.get_content_maintype() == "image" for a in images) == 2
    # ... and the tickets to keep: a PDF with a page per ticket, and the calendar file.
    by_type = {part.get_content_type(): part for part in images}
    from icalendar import Calendar
    from pypdf import PdfReader

    pdf, ics = by_type["application/pdf"], by_type["text/calendar"]
    assert len(PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages) == 2
    (event,) = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")
    assert concert.name in str(event["SUMMARY"])


def test_declined_card_shows_an_error_and_the_fan_can_retry(
    site, page, journey, concerts, make_user, login, locked
):
    concert = concerts["on_sale"]
    with locked():
        fan = make_user(email="dee.clined@example.com", first_name="Dee")
    login(page.context, fan)

    page.goto(f"/concerts/{concert.slug}/")
    page.get_by_role("link", name="Get tickets").click()
    wait_for_admission(page, journey)
    choose_tickets(page, journey, category="Standing", quantity=2)

    pay_with_card(page, journey, FAKE_CARD_DECLINED, label="declined")
    alert = page.get_by_role("alert").filter(has_text=re.compile(r"declined", re.I))
    expect(alert).to_be_visible()
    assert CHECKOUT_URL.search(page.url) or "/pay" in page.url
    expect(page.get_by_role("timer")).to_be_visible()  # the hold still runs
    journey.step(page, "card declined")

    pay_with_card(page, journey, FAKE_CARD_OK, label="retry with 4242")
    page.wait_for_url(BOOKING_URL)
    expect_tickets_with_qr(page, 2)
    journey.step(page, "paid on the second try")

    with locked():
        from bookings.models import Booking

        assert Booking.objects.get(user=fan).status == Booking.Status.CONFIRMED


def test_a_hold_that_runs_out_tells_the_fan_and_returns_the_seats(
    site, page, journey, concerts, make_user, login, locked, settings
):
    settings.BOOKING_HOLD_SECONDS = 6
    concert = concerts["on_sale"]
    with locked():
        vip = _category(concert, "VIP")
        fan = make_user(email="slow.payer@example.com", first_name="Sam")
    login(page.context, fan)

    page.goto(f"/concerts/{concert.slug}/")
    page.get_by_role("link", name="Get tickets").click()
    wait_for_admission(page, journey)
    choose_tickets(page, journey, category="VIP", quantity=2)
    with locked():
        vip.refresh_from_db()
        assert vip.available_seats == vip.total_seats - 2  # held

    # The countdown reaches zero on the page: the fan is told, payment is no longer offered.
    expect(page.get_by_text(re.compile(r"hold has expired", re.I)).first).to_be_visible(
        timeout=15_000
    )
    expect(page.get_by_role("button", name=re.compile(r"^Pay "))).to_be_hidden()
    journey.step(page, "hold expired on the checkout page")

    # The expiry sweep (Celery beat's task) returns the seats. The page counts down from
    # whole seconds, so it can say "expired" a moment before the server's deadline passes.
    from bookings.models import Booking
    from bookings.tasks import expire_overdue_bookings

    def sweep() -> bool:
        with locked():
            expire_overdue_bookings()
            return Booking.objects.get(user=fan).status == Booking.Status.EXPIRED

    wait_until(sweep, timeout=5, every=0.25)
    with locked():
        vip.refresh_from_db()
        assert vip.available_seats == vip.total_seats
        booking = Booking.objects.get(user=fan)

    page.reload()
    expect(page.get_by_role("heading", name="Your hold has expired")).to_be_visible()
    journey.step(page, "checkout after the sweep")
    page.goto(f"/bookings/{booking.reference}/")
    expect(page.get_by_text(re.compile(r"seats went back on sale", re.I))).to_be_visible()
    journey.step(page, "booking page: expired")
