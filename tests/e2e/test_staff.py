"""Staff: the admin shows the sale, and the check-in page admits a ticket once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import ApiFan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STAFF_PASSWORD = "box-office-window-77"


def _column(page, header: str) -> int:
    """0-based index of a column in the admin's result list, by its header text."""
    headers = page.locator("#result_list thead th").all_inner_texts()
    for index, text in enumerate(headers):
        if text.strip().lower() == header.lower():
            return index
    raise AssertionError(f"no column {header!r} in {headers}")


def test_staff_see_the_sale_in_the_admin_and_check_a_ticket_in_once(
    site, page, new_context, journey, concerts, make_user, locked
):
    concert = concerts["on_sale"]
    with locked():
        fan = make_user(email="tess.ticket@example.com", first_name="Tess")
        make_user(
            email="staff@example.com", password=STAFF_PASSWORD, is_staff=True, is_superuser=True
        )
        seated = concert.categories.get(name="Seated")
    # A fan bought two tickets through the API (queue, hold, fake card).
    booking = ApiFan(new_context().request, fan).book_and_pay(
        concert_id=concert.pk, category_id=seated.pk, quantity=2
    )
    reference, codes = booking["reference"], [t["code"] for t in booking["tickets"]]
    assert len(codes) == 2

    # Staff sign in to the admin.
    page.goto("/admin/")
    page.get_by_label("Email address").fill("staff@example.com")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    journey.step(page, "admin login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Box office")).to_be_visible()
    journey.step(page, "admin home")

    # The concert list shows what was sold.
    page.get_by_role("rowheader").get_by_role("link", name="Concerts", exact=True).click()
    row = page.locator("#result_list tbody tr").filter(has_text="Aurora Skies")
    expect(row).to_have_count(1)
    sold = row.locator("td, th").nth(_column(page, "Sold"))
    expect(sold).to_have_text(re.compile(r"^\s*2\b"))
    journey.step(page, "admin: concerts with sold counts")

    # The booking is there, found by its reference.
    page.goto(f"/admin/bookings/booking/?q={reference}")
    booking_row = page.locator("#result_list tbody tr").filter(has_text=reference)
    expect(booking_row).to_have_count(1)
    expect(booking_row).to_contain_text("tess.ticket@example.com")
    journey.step(page, "admin: the booking")
    booking_row.get_by_role("link").first.click()
    expect(page.get_by_text(codes[0]).first).to_be_visible()
    journey.step(page, "admin: booking with its tickets")

    # Check-in: the door serves this concert (its doors are open); the first scan admits,
    # the second says the ticket was used.
    with locked():
        from django.utils import timezone

        from concerts.models import Concert

        Concert.objects.filter(pk=concert.pk).update(doors_open_at=timezone.now())
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Check-in").click()
    expect(page.get_by_role("heading", level=1, name="Check-in")).to_be_visible()
    page.get_by_label("Concert").select_option(str(concert.pk))
    page.get_by_role("button", name="Open the door").click()
    journey.step(page, "check-in page")
    page.get_by_label("Ticket code").fill(codes[0])
    page.get_by_role("button", name="Check in", exact=True).click()
    result = page.get_by_role("alert")
    expect(result).to_contain_text("Checked in")
    expect(result).not_to_contain_text("Already")
    journey.step(page, "check-in: admitted")
    page.get_by_label("Ticket code").fill(codes[0])
    page.get_by_role("button", name="Check in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"already checked in", re.I))
    journey.step(page, "check-in: already used")

    with locked():
        from bookings.models import Ticket

        assert Ticket.objects.get(code=codes[0]).status == Ticket.Status.CHECKED_IN
        assert Ticket.objects.get(code=codes[1]).status == Ticket.Status.VALID
