"""A fan abroad: venue times with the zone named and their own time beside them, prices in
yen, My tickets with the whole order history, and the tickets to keep (PDF, calendar)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tokyo_fan(site, make_user, locked):
    """A fan with a confirmed Tokyo booking (2 tickets), a cancelled and an expired one."""
    from django.utils import timezone

    from tests.factories import (
        BookingFactory,
        ConcertFactory,
        TicketCategoryFactory,
        TicketFactory,
    )

    with locked():
        fan = make_user(email="kenji@example.com", first_name="Kenji", last_name="Sato")
        day = timezone.now() + timedelta(days=20)
        concert = ConcertFactory(
            name="Lucía Ferrer: Guitarra",
            slug="lucia-ferrer-guitarra",
            venue="Kioi Hall, Tokyo",
            timezone="Asia/Tokyo",
            # 10:00 UTC is 19:00 in Tokyo
            starts_at=day.replace(hour=10, minute=0, second=0, microsecond=0),
            sale_starts_at=timezone.now() - timedelta(days=1),
        )
        stalls = TicketCategoryFactory(
            concert=concert, name="Stalls", price=Decimal("8800"), currency="jpy", total_seats=50
        )
        confirmed = BookingFactory(user=fan, category=stalls, quantity=2, confirmed=True)
        TicketFactory(booking=confirmed, seat_label="F12")
        TicketFactory(booking=confirmed, seat_label="F13")
        BookingFactory(user=fan, category=stalls, quantity=1, cancelled=True)
        BookingFactory(user=fan, category=stalls, quantity=3, expired=True)
    return fan, concert, confirmed


def test_a_fan_abroad_sees_venue_time_their_own_time_and_keeps_the_tickets(
    new_context, login, journey, tokyo_fan, locked
):
    fan, concert, booking = tokyo_fan
    # The fan is in Berlin; the venue is in Tokyo.
    context = new_context(timezone_id="Europe/Berlin", accept_downloads=True)
    login(context, fan)
    page = context.new_page()

    page.goto(concert.get_absolute_url())
    when = page.locator("time[data-venue-tz='Asia/Tokyo']").first
    expect(when).to_contain_text("19:00 JST")
    expect(page.locator(".your-time").first).to_contain_text("your time")
    expect(page.locator(".your-time").first).to_contain_text("11:00")
    expect(page.get_by_text("¥8,800").first).to_be_visible()
    journey.step(page, "concert page in venue time")

    page.goto("/bookings/mine/")
    expect(page.get_by_role("heading", name="Order history")).to_be_visible()
    history = page.get_by_role("table")
    for status in ("Confirmed", "Cancelled", "Expired"):
        expect(history.get_by_text(status, exact=True)).to_be_visible()
    expect(history.get_by_text("¥17,600")).to_be_visible()
    journey.step(page, "my tickets with order history")

    page.goto(f"/bookings/{booking.reference}/")
    expect(page.get_by_text("19:00 JST").first).to_be_visible()
    expect(page.get_by_role("link", name="Download tickets (PDF)")).to_be_visible()
    journey.step(page, "booking with downloads")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download tickets (PDF)").click()
    pdf = download_info.value
    assert pdf.suggested_filename == f"{booking.reference}-tickets.pdf"
    from pypdf import PdfReader

    assert len(PdfReader(pdf.path()).pages) == 2
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar").click()
    assert download_info.value.suggested_filename == f"{booking.reference}.ics"
