"""A fan in the pre-queue sees the draw's commitment and their receipt, and after the sale
opens finds their place in the published draw."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.api import ApiFan

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_fan_keeps_a_receipt_and_checks_their_place_in_the_published_draw(
    site, new_context, make_user, login, locked, journey, settings
):
    from django.utils import timezone

    from queueing.models import Draw, QueueEntry
    from tests.factories import ConcertFactory, TicketCategoryFactory

    settings.QUEUE_MAX_ACTIVE_USERS = 0  # the line stays put: places are read, not admitted
    with locked():
        concert = ConcertFactory(
            name="Harbour Lights",
            slug="harbour-lights",
            sale_starts_at=timezone.now() + timedelta(seconds=12),
            starts_at=timezone.now() + timedelta(days=30),
        )
        TicketCategoryFactory(concert=concert, name="Standing", total_seats=20)
        fan = make_user(email="ida@example.com", first_name="Ida")
        others = [make_user() for _ in range(3)]
    for other in others:  # three fans queue through the API first
        ApiFan(new_context().request, other).join(concert.pk)

    page = new_context().new_page()
    login(page.context, fan)
    page.goto(reverse("queueing:room", kwargs={"concert_id": concert.pk}))
    expect(page.get_by_role("heading", name="You are in the pre-queue")).to_be_visible()
    receipt = page.get_by_role("region", name="Your draw receipt")
    expect(receipt).to_be_visible()
    entry = receipt.locator("[data-field=entry-id]")
    expect(entry).to_have_text(re.compile(r"^[0-9a-f]{32}$"))
    entry_id = entry.inner_text()
    with locked():
        assert QueueEntry.objects.get(user=fan).entry_id == entry_id
        commitment = Draw.objects.get(concert=concert).commitment
    expect(receipt.locator("[data-field=commitment]")).to_have_text(commitment)
    journey.step(page, "pre-queue: draw receipt")

    # The concert page publishes the commitment before the sale.
    page.goto(concert.get_absolute_url())
    expect(page.get_by_text(commitment)).to_be_visible()
    journey.step(page, "concert page: the draw's commitment")

    # At sale start the turnstile draws; the receipt then shows the fan's place.
    deadline = time.monotonic() + 40
    while True:
        with locked():
            drawn = Draw.objects.get(concert=concert)
        if drawn.drawn_at is not None:
            break
        assert time.monotonic() < deadline, "the turnstile did not draw"
        page.wait_for_timeout(500)
    entries = drawn.entries
    place = entries.index(entry_id) + 1
    page.goto(reverse("queueing:room", kwargs={"concert_id": concert.pk}))
    expect(receipt.locator("[data-field=draw-rank]")).to_have_text(
        f"Drawn: place {place} in the pre-queue."
    )

    # The draw page shows the seed and the order; "find my entry id" finds the fan's place.
    receipt.get_by_role("link", name="Check the draw").click()
    expect(page.get_by_role("heading", name="The pre-queue draw")).to_be_visible()
    expect(page.get_by_text(commitment)).to_be_visible()
    finder = page.get_by_label("Find my entry id")
    expect(finder).to_have_value(entry_id)
    expect(page.get_by_text(f"Entry {entry_id} is at place {place} of 4.")).to_be_visible()
    finder.fill(entries[0])
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text(f"Entry {entries[0]} is at place 1 of 4.")).to_be_visible()
    expect(page.get_by_text("does not verify")).to_have_count(0)
    journey.step(page, "the published draw")
