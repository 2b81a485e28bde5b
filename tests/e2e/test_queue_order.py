"""Two fans in two browsers are let in the order they joined the waiting room."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.flows import (
    BOOKING_URL,
    FAKE_CARD_OK,
    choose_tickets,
    expect_position,
    pay_with_card,
    wait_for_admission,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_two_fans_are_admitted_in_the_order_they_joined(
    site, new_context, journey, concerts, make_user, login, locked, settings
):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    concert = concerts["on_sale"]
    with locked():
        ada = make_user(email="ada@example.com", first_name="Ada")
        ben = make_user(email="ben@example.com", first_name="Ben")
    first, second = new_context().new_page(), new_context().new_page()
    login(first.context, ada)
    login(second.context, ben)

    # Both line up while the turnstile is stopped: Ada first, then Ben.
    site.turnstile.pause()
    first.goto(f"/concerts/{concert.slug}/")
    first.get_by_role("link", name="Get tickets").click()
    expect_position(first, 1)
    second.goto(f"/concerts/{concert.slug}/")
    second.get_by_role("link", name="Get tickets").click()
    expect_position(second, 2)
    journey.step(first, "Ada: 1st in line")
    journey.step(second, "Ben: 2nd in line", axe=False)

    # The turnstile lets one fan in: Ada. Ben moves up to first in line and waits.
    site.turnstile.resume()
    wait_for_admission(first, journey)
    expect_position(second, 1)
    journey.step(second, "Ben: next in line while Ada chooses", axe=False)
    from queueing.services import queue_slot_is_active

    assert not queue_slot_is_active(user_id=ben.pk, concert_id=concert.pk)

    # Ada buys one ticket; confirming releases her slot, and Ben is let in.
    choose_tickets(first, journey, category="Standing", quantity=1)
    pay_with_card(first, journey, FAKE_CARD_OK, label="Ada pays")
    first.wait_for_url(BOOKING_URL)
    wait_for_admission(second, journey)
    expect(second.get_by_role("heading", name="Choose your tickets")).to_be_visible()
    journey.step(second, "Ben: his turn after Ada")

    with locked():
        from queueing.models import QueueEntry

        entries = {e.user_id: e for e in QueueEntry.objects.filter(concert=concert)}
        assert entries[ada.pk].admitted_at < entries[ben.pk].admitted_at
