"""The line tells the fan why it moves or not (issue #12): paused by staff, every seat
left held (then moving again when a hold is given back), sold out with the waiting list,
the per-fan limit, and a fan sent back from the seat page who is not silently re-queued."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.e2e.flows import expect_position

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small(site, locked):
    """A concert on sale with 2 seats; each admitted fan reserves 2 of them."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ConcertFactory, TicketCategoryFactory

    with locked():
        from django.conf import settings

        settings.QUEUE_SEATS_PER_ADMISSION = 2
        concert = ConcertFactory(
            name="Small Room",
            slug="small-room",
            venue="The Lexington, London",
            starts_at=timezone.now() + timedelta(days=14),
            sale_starts_at=timezone.now() - timedelta(minutes=30),
        )
        TicketCategoryFactory(concert=concert, name="General", price="25.00", total_seats=2)
    return concert


@pytest.fixture
def fan(site, new_context, make_user, login, locked):
    with locked():
        user = make_user()
    context = new_context()
    login(context, user)
    return user, context.new_page()


def _room(page: Page, concert) -> None:
    page.goto(reverse("queueing:room", kwargs={"concert_id": concert.pk}))


def _holder_then_fan(site, concert, page, make_user, locked):
    """Another fan joins first and is admitted; the page's fan joins behind them; the other
    fan then holds both seats (a new fan could not join now: nothing is free)."""
    from bookings import services as booking_services
    from queueing import services as queue_services

    site.turnstile.pause()
    with locked():
        holder = make_user()
        queue_services.queue_join(user_id=holder.pk, concert=concert)
    _room(page, concert)
    expect_position(page, 2)
    with locked():
        queue_services.queue_admit_next(concert_id=concert.pk)
        category = concert.categories.get()
        booking = booking_services.booking_create(user=holder, category_id=category.pk, quantity=2)
    site.turnstile.resume()
    return holder, booking


def test_a_line_paused_by_staff_says_so_and_gives_no_estimate(site, concerts, fan, locked, journey):
    from queueing import services as queue_services

    site.turnstile.pause()
    _user, page = fan
    _room(page, concerts["on_sale"])
    expect_position(page, 1)
    with locked():
        queue_services.queue_admission_pause(concert_id=concerts["on_sale"].pk)
    expect(page.locator('[data-field="line-title"]')).to_have_text(
        "The line is paused", timeout=8000
    )
    expect(page.locator('[data-field="eta"]')).to_have_text(
        "Not known while the line is not moving"
    )
    journey.step(page, "waiting room: paused by the box office")
    with locked():
        queue_services.queue_admission_resume(concert_id=concerts["on_sale"].pk)
    expect(page.locator('[data-field="line-notice"]')).to_be_hidden(timeout=8000)


def test_held_seats_pause_the_line_then_a_returned_hold_admits_the_fan(
    site, small, fan, make_user, locked, journey
):
    _user, page = fan
    holder, booking = _holder_then_fan(site, small, page, make_user, locked)
    expect_position(page, 1)
    expect(page.locator('[data-field="line-title"]')).to_have_text(
        "Every seat left is being held", timeout=8000
    )
    journey.step(page, "waiting room: every seat left is held")

    from bookings import services as booking_services
    from queueing import services as queue_services

    with locked():
        booking_services.booking_cancel(user=holder)
        queue_services.queue_leave(user_id=holder.pk, concert_id=small.pk)
    expect(page.get_by_role("link", name="Choose your tickets")).to_be_visible(timeout=10000)


def test_a_sell_out_closes_the_line_and_offers_the_waiting_list(
    site, small, fan, make_user, locked, journey
):
    _user, page = fan
    _holder, booking = _holder_then_fan(site, small, page, make_user, locked)
    expect_position(page, 1)

    from bookings.models import Booking

    with locked():
        Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CONFIRMED)
    expect(page.get_by_role("heading", name="Sold out")).to_be_visible(timeout=10000)
    link = page.get_by_role("link", name="Join the waiting list")
    expect(link).to_have_attribute("href", reverse("waitlist:concert", args=[small.pk]))
    journey.step(page, "waiting room: sold out, the waiting list offered")


def test_a_fan_at_the_ticket_limit_is_told_instead_of_queued(site, concerts, fan, locked, journey):
    from django.conf import settings

    from tests.factories import BookingFactory

    user, page = fan
    concert = concerts["on_sale"]
    with locked():
        category = concert.categories.first()
        BookingFactory(
            user=user, category=category, quantity=settings.MAX_TICKETS_PER_FAN, confirmed=True
        )
    _room(page, concert)
    expect(
        page.get_by_role("heading", name="You already have the most tickets one fan may hold")
    ).to_be_visible(timeout=8000)
    journey.step(page, "waiting room: at the ticket limit")


def test_the_seat_page_does_not_put_a_fan_back_in_line(site, concerts, fan, locked):
    from queueing import services as queue_services
    from queueing.state import QueueStatus

    site.turnstile.pause()  # the fan stays in line once they choose to join
    user, page = fan
    concert = concerts["on_sale"]
    page.goto(reverse("bookings:select", kwargs={"concert_id": concert.pk}))
    expect(page.get_by_role("button", name="Join the line again")).to_be_visible(timeout=8000)
    page.wait_for_timeout(1500)
    with locked():
        state = queue_services.queue_status(user_id=user.pk, concert_id=concert.pk)
    assert state.status == QueueStatus.NONE
    page.get_by_role("button", name="Join the line again").click()
    expect_position(page, 1)
