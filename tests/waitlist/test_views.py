"""The waiting-list pages, the concert page's link and My tickets' block."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bookings.models import Booking
from tests.waitlist.conftest import give_back
from waitlist.models import WaitlistEntry, WaitlistOffer

pytestmark = pytest.mark.django_db


@pytest.fixture
def fan_client(client, fans):
    client.force_login(fans[0])
    return client


def test_the_list_page_needs_a_login(client, concert):
    response = client.get(reverse("waitlist:concert", kwargs={"concert_id": concert.pk}))
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]


def test_a_fan_joins_sees_their_place_and_leaves(fan_client, category, concert, fans):
    url = reverse("waitlist:concert", kwargs={"concert_id": concert.pk})
    page = fan_client.get(url).content.decode()
    assert "Join the waiting list" in page
    assert 'name="category"' in page

    response = fan_client.post(url, {"category": category.pk, "quantity": 2}, follow=True)
    page = response.content.decode()
    assert "You are on the waiting list" in page
    assert "you are number 1 in line" in page
    entry = WaitlistEntry.objects.get(user=fans[0])
    assert entry.quantity == 2

    leave = reverse("waitlist:leave", kwargs={"entry_id": entry.pk})
    response = fan_client.post(leave, follow=True)
    assert "You have left the waiting list" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.LEFT


def test_a_refusal_is_shown_not_raised(fan_client, concert):
    from tests.factories import TicketCategoryFactory

    open_category = TicketCategoryFactory(concert=concert, total_seats=5)
    url = reverse("waitlist:concert", kwargs={"concert_id": concert.pk})
    response = fan_client.post(url, {"category": open_category.pk, "quantity": 1}, follow=True)
    assert response.status_code == 200
    assert "join the waiting room" in response.content.decode()
    response = fan_client.post(url, {"category": "x", "quantity": 1}, follow=True)
    assert response.status_code == 200


def test_an_unknown_concert_is_404(fan_client):
    assert fan_client.get("/waitlist/999999/").status_code == 404


def test_the_offer_page_counts_down_and_holds_the_seats(
    fan_client, category, holders, on_list, fans
):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    url = reverse("waitlist:offer", kwargs={"offer_id": offer.pk})
    page = fan_client.get(url).content.decode()
    assert "data-countdown-until" in page
    assert "Hold these seats" in page
    assert "2 × Stalls" in page

    response = fan_client.post(url)
    booking = Booking.objects.get(user=fans[0])
    assert response.status_code == 302
    assert response["Location"] == reverse("checkout:checkout", kwargs={"booking_id": booking.pk})
    page = fan_client.get(url).content.decode()
    assert booking.reference in page


def test_a_lapsed_offer_page_says_so(fan_client, category, holders, on_list):
    from waitlist import services

    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    services.waitlist_offers_lapse_overdue(now=offer.expires_at)
    url = reverse("waitlist:offer", kwargs={"offer_id": offer.pk})
    page = fan_client.get(url).content.decode()
    assert "This offer lapsed" in page
    response = fan_client.post(url, follow=True)
    assert "no longer open" in response.content.decode()


def test_another_fans_offer_is_404(client, category, holders, on_list, fans):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    client.force_login(fans[1])
    assert client.get(reverse("waitlist:offer", kwargs={"offer_id": offer.pk})).status_code == 404


def test_the_sold_out_concert_page_links_the_waiting_list(client, concert, category):
    page = client.get(reverse("concerts:detail", kwargs={"slug": concert.slug})).content.decode()
    assert reverse("waitlist:concert", kwargs={"concert_id": concert.pk}) in page


def test_my_tickets_shows_live_entries_and_offers(fan_client, category, holders, on_list):
    page = fan_client.get(reverse("bookings:mine")).content.decode()
    assert "Waiting lists" in page
    assert "waiting" in page
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    page = fan_client.get(reverse("bookings:mine")).content.decode()
    assert reverse("waitlist:offer", kwargs={"offer_id": offer.pk}) in page


def test_my_tickets_without_entries_has_no_block(client, make_user):
    client.force_login(make_user())
    assert "Waiting lists" not in client.get(reverse("bookings:mine")).content.decode()
