"""A fan joins a sold-out concert's waiting list, gets the offer email when seats come back,
holds the seats from the link, pays and sees the tickets."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.api import ApiFan
from tests.e2e.flows import (
    BOOKING_URL,
    CHECKOUT_URL,
    FAKE_CARD_OK,
    expect_tickets_with_qr,
    pay_with_card,
)
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OFFER_PATH = re.compile(r"/waitlist/offers/\d+/")


def test_a_fan_goes_from_sold_out_to_the_waiting_list_to_an_offer_to_tickets(
    site, page, new_context, journey, mailoutbox, make_user, login, locked
):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ConcertFactory, TicketCategoryFactory

    with locked():
        concert = ConcertFactory(
            name="Night Harbour",
            slug="night-harbour",
            venue="Usher Hall, Edinburgh",
            starts_at=timezone.now() + timedelta(days=14),
            sale_starts_at=timezone.now() - timedelta(hours=1),
        )
        balcony = TicketCategoryFactory(
            concert=concert, name="Balcony", price="39.00", total_seats=2
        )
        holder_user = make_user(email="early.bird@example.com")
        fan = make_user(email="wendy.wait@example.com", first_name="Wendy")

    # Another fan holds the last two seats: the concert is sold out.
    holder = ApiFan(new_context().request, holder_user)
    holder.join(concert.pk)
    holder.wait_until_active(concert.pk)
    holder._call("POST", "booking/", {"category_id": balcony.pk, "quantity": 2})

    login(page.context, fan)
    page.goto(f"/concerts/{concert.slug}/")
    expect(page.get_by_text("Sold out.", exact=False).first).to_be_visible()
    journey.step(page, "sold out concert page")
    page.get_by_role("link", name="Join the waiting list").click()
    expect(page.get_by_role("heading", level=1, name="Waiting list")).to_be_visible()
    page.get_by_role("radio", name=re.compile(r"^Balcony\b")).check()
    page.get_by_label("How many tickets you want").select_option("2")
    journey.step(page, "waiting list: choose category and quantity")
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_text("you are number 1 in line")).to_be_visible()
    journey.step(page, "waiting list: number 1 in line")

    # The holder changes their mind: the seats come back and are offered to our fan.
    holder._call("DELETE", "booking/pending")
    offer_email = wait_until(
        lambda: next((m for m in mailoutbox if fan.email in m.to and "hold" in m.subject), None),
        timeout=15,
    )
    assert "Night Harbour" in offer_email.subject
    assert "2 seats in Balcony" in offer_email.body
    offer_path = OFFER_PATH.search(offer_email.body).group(0)

    page.goto(offer_path)
    expect(page.get_by_role("heading", level=1, name="Seats from the waiting list")).to_be_visible()
    expect(page.get_by_role("timer")).to_be_visible()
    journey.step(page, "offer with countdown")
    page.get_by_role("button", name="Hold these seats").click()
    page.wait_for_url(CHECKOUT_URL)
    expect(page.get_by_role("heading", name="Checkout", exact=True)).to_be_visible()
    journey.step(page, "checkout of the offered seats")
    pay_with_card(page, journey, FAKE_CARD_OK, label="4242")
    page.wait_for_url(BOOKING_URL)
    expect_tickets_with_qr(page, 2)
    journey.step(page, "tickets from the waiting list")

    with locked():
        from waitlist.models import WaitlistEntry, WaitlistOffer

        offer = WaitlistOffer.objects.get(entry__user=fan)
        assert offer.status == WaitlistOffer.Status.TAKEN
        assert offer.booking.status == "confirmed"
        assert WaitlistEntry.objects.get(user=fan).status == WaitlistEntry.Status.DONE
        balcony.refresh_from_db()
        assert balcony.available_seats == 0
