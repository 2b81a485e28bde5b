"""The waiting list's rules: who may join, offers in list order, lapses that pass on,
taking an offer, leaving."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bookings import errors as booking_errors
from bookings import services as booking_services
from bookings.models import Booking
from concerts.errors import CategoryNotFound
from tests.factories import BookingFactory, TicketCategoryFactory
from tests.waitlist.conftest import (
    assert_seats_balance,
    deliver_all,
    entry_statuses,
    give_back,
)
from waitlist import errors, selectors, services
from waitlist.models import WaitlistEntry, WaitlistOffer

pytestmark = pytest.mark.django_db

WAITING = WaitlistEntry.Status.WAITING
OFFERED = WaitlistEntry.Status.OFFERED


# --- joining ---------------------------------------------------------------------------


def test_a_category_with_free_seats_refuses_the_list(concert, fans):
    open_category = TicketCategoryFactory(concert=concert, total_seats=10)
    with pytest.raises(errors.SeatsAvailable) as caught:
        services.waitlist_join(user=fans[0], category_id=open_category.pk, quantity=1)
    assert caught.value.code == "seats_available"


def test_a_fan_joins_a_sold_out_category_once(category, fans):
    entry = services.waitlist_join(user=fans[0], category_id=category.pk, quantity=2)
    assert entry.status == WAITING
    with pytest.raises(errors.WaitlistEntryExists):
        services.waitlist_join(user=fans[0], category_id=category.pk, quantity=1)
    services.waitlist_leave(user=fans[0], entry_id=entry.pk)
    again = services.waitlist_join(user=fans[0], category_id=category.pk, quantity=1)
    assert again.pk > entry.pk


@pytest.mark.parametrize("quantity", [0, 7, -1])
def test_quantity_outside_the_booking_limit_is_refused(category, fans, quantity):
    with pytest.raises(booking_errors.InvalidQuantity):
        services.waitlist_join(user=fans[0], category_id=category.pk, quantity=quantity)


def test_a_fan_cannot_wait_for_more_than_the_per_fan_limit(category, concert, fans, settings):
    settings.MAX_TICKETS_PER_FAN = 4
    other = TicketCategoryFactory(concert=concert, total_seats=10)
    BookingFactory(user=fans[0], category=other, quantity=3, confirmed=True)
    with pytest.raises(booking_errors.TicketLimitReached):
        services.waitlist_join(user=fans[0], category_id=category.pk, quantity=2)
    assert services.waitlist_join(user=fans[0], category_id=category.pk, quantity=1)


def test_unknown_unpublished_or_foreign_categories_are_not_found(category, fans, concert):
    with pytest.raises(CategoryNotFound):
        services.waitlist_join(user=fans[0], category_id=999999, quantity=1)
    with pytest.raises(CategoryNotFound):
        services.waitlist_join(
            user=fans[0], category_id=category.pk, quantity=1, concert_id=concert.pk + 1
        )
    concert.published = False
    concert.save()
    with pytest.raises(CategoryNotFound):
        services.waitlist_join(user=fans[0], category_id=category.pk, quantity=1)


def test_places_count_waiting_entries_of_the_category_in_asking_order(on_list, fans):
    places = [
        selectors.entry_position(selectors.waitlist_entry_get(user=fan, entry_id=entry.pk))
        for fan, entry in zip(fans, on_list, strict=False)
    ]
    assert places == [1, 2, 3]
    services.waitlist_leave(user=fans[0], entry_id=on_list[0].pk)
    entry = selectors.waitlist_entry_get(user=fans[2], entry_id=on_list[2].pk)
    assert selectors.entry_position(entry) == 2


# --- offers ----------------------------------------------------------------------------


def test_returned_seats_are_offered_in_list_order(category, holders, on_list, mailoutbox):
    give_back(holders[0])  # 2 seats back: all to the first fan
    assert entry_statuses(on_list) == [OFFERED, WAITING, WAITING]
    give_back(holders[1])  # 2 more: to the second fan
    assert entry_statuses(on_list) == [OFFERED, OFFERED, WAITING]
    offers = list(WaitlistOffer.objects.order_by("pk"))
    assert [(o.entry_id, o.quantity) for o in offers] == [(on_list[0].pk, 2), (on_list[1].pk, 2)]
    category.refresh_from_db()
    assert category.available_seats == 0  # the offered seats left the sale
    assert_seats_balance(category)
    assert len(mailoutbox) == 2
    assert "yours to hold" in mailoutbox[0].subject
    assert f"/waitlist/offers/{offers[0].pk}/" in mailoutbox[0].body


def test_a_partial_return_offers_what_is_free_and_moves_on(category, holders, fans):
    first = services.waitlist_join(user=fans[0], category_id=category.pk, quantity=3)
    second = services.waitlist_join(user=fans[1], category_id=category.pk, quantity=1)
    give_back(holders[0])  # 2 seats: the first fan is offered 2 of the 3 wanted
    assert WaitlistOffer.objects.get(entry=first).quantity == 2
    assert entry_statuses([first, second]) == [OFFERED, WAITING]


def test_an_offer_not_taken_lapses_and_passes_to_the_next_fan(
    category, holders, on_list, mailoutbox
):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    later = offer.expires_at + timedelta(seconds=1)
    assert services.waitlist_sweep(now=offer.expires_at - timedelta(seconds=1)) == (0, 0)
    assert services.waitlist_offers_lapse_overdue(now=later) == 1
    deliver_all()
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.LAPSED
    assert entry_statuses(on_list) == [WaitlistEntry.Status.LAPSED, OFFERED, WAITING]
    assert_seats_balance(category)
    subjects = [m.subject for m in mailoutbox]
    assert any("lapsed" in s for s in subjects)
    assert services.waitlist_offer_lapse(offer_id=offer.pk, now=later) is False  # once only


def test_an_offer_never_exceeds_what_the_fan_may_still_buy(
    category, holders, fans, concert, settings
):
    settings.MAX_TICKETS_PER_FAN = 3
    other = TicketCategoryFactory(concert=concert, total_seats=10)
    first = services.waitlist_join(user=fans[0], category_id=category.pk, quantity=2)
    full = services.waitlist_join(user=fans[1], category_id=category.pk, quantity=1)
    second = services.waitlist_join(user=fans[2], category_id=category.pk, quantity=2)
    # Since joining, the first fan bought 2 tickets and the second 3 (the maximum).
    BookingFactory(user=fans[0], category=other, quantity=2, confirmed=True)
    BookingFactory(user=fans[1], category=other, quantity=3, confirmed=True)
    give_back(holders[0])  # 2 seats: 1 to the first fan (their allowance), 1 to the third
    assert WaitlistOffer.objects.get(entry=first).quantity == 1
    assert entry_statuses([first, full, second]) == [OFFERED, WaitlistEntry.Status.LEFT, OFFERED]
    assert WaitlistOffer.objects.get(entry=second).quantity == 1
    assert_seats_balance(category)


def test_the_sweep_offers_free_seats_even_without_the_prompt_kick(category, on_list):
    category.available_seats = 3  # seats freed by a path that did not kick the list
    category.save()
    assert services.waitlist_sweep() == (0, 2)
    assert entry_statuses(on_list) == [OFFERED, OFFERED, WAITING]  # 2, then 1 of the 2 wanted
    assert WaitlistOffer.objects.get(entry=on_list[1]).quantity == 1


def test_a_kick_with_nobody_waiting_changes_nothing(category, holders):
    give_back(holders[0])
    category.refresh_from_db()
    assert category.available_seats == 2
    assert not WaitlistOffer.objects.exists()


# --- taking an offer -------------------------------------------------------------------


def test_taking_an_offer_makes_a_pending_booking_on_the_reserved_seats(
    category, holders, on_list, fans
):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    booking = services.waitlist_offer_accept(user=fans[0], offer_id=offer.pk)
    assert booking.status == Booking.Status.PENDING  # no queue slot needed
    assert (booking.category_id, booking.quantity) == (category.pk, 2)
    offer.refresh_from_db()
    assert (offer.status, offer.booking_id) == (WaitlistOffer.Status.TAKEN, booking.pk)
    assert entry_statuses(on_list)[0] == WaitlistEntry.Status.DONE
    category.refresh_from_db()
    assert category.available_seats == 0
    assert_seats_balance(category)
    # Taking it again answers the same booking.
    assert services.waitlist_offer_accept(user=fans[0], offer_id=offer.pk).pk == booking.pk


def test_a_taken_offers_hold_that_expires_goes_to_the_next_fan(category, holders, on_list, fans):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    booking = services.waitlist_offer_accept(user=fans[0], offer_id=offer.pk)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert booking_services.booking_expire_overdue() == 1
    deliver_all()
    assert entry_statuses(on_list)[1] == OFFERED
    assert_seats_balance(category)


def test_only_the_fan_may_take_their_offer(category, holders, on_list, fans):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    with pytest.raises(errors.WaitlistOfferNotFound):
        services.waitlist_offer_accept(user=fans[1], offer_id=offer.pk)


def test_a_lapsed_or_overdue_offer_cannot_be_taken(category, holders, on_list, fans):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    with pytest.raises(errors.OfferNotOpen):
        services.waitlist_offer_accept(
            user=fans[0], offer_id=offer.pk, now=offer.expires_at + timedelta(seconds=1)
        )
    services.waitlist_offers_lapse_overdue(now=offer.expires_at + timedelta(seconds=1))
    with pytest.raises(errors.OfferNotOpen):
        services.waitlist_offer_accept(user=fans[0], offer_id=offer.pk)


def test_a_refused_booking_leaves_the_offer_open(category, holders, on_list, fans, concert):
    give_back(holders[0])
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    other = TicketCategoryFactory(concert=concert, total_seats=5)
    BookingFactory(user=fans[0], category=other, quantity=1)  # a pending booking already
    with pytest.raises(booking_errors.PendingBookingExists):
        services.waitlist_offer_accept(user=fans[0], offer_id=offer.pk)
    offer.refresh_from_db()
    assert offer.status == WaitlistOffer.Status.OPEN
    assert_seats_balance(category)


def test_booking_create_still_asks_for_a_slot_without_reserved_seats(category, fans):
    with pytest.raises(booking_errors.QueueSlotRequired):
        booking_services.booking_create(user=fans[0], category_id=category.pk, quantity=1)


# --- leaving ---------------------------------------------------------------------------


def test_leaving_with_an_open_offer_withdraws_it_and_passes_the_seats_on(
    category, holders, on_list, fans
):
    give_back(holders[0])
    services.waitlist_leave(user=fans[0], entry_id=on_list[0].pk)
    deliver_all()
    offer = WaitlistOffer.objects.get(entry=on_list[0])
    assert offer.status == WaitlistOffer.Status.WITHDRAWN
    assert entry_statuses(on_list) == [WaitlistEntry.Status.LEFT, OFFERED, WAITING]
    assert_seats_balance(category)
    # Leaving twice is a no-op; another fan's entry is not found.
    services.waitlist_leave(user=fans[0], entry_id=on_list[0].pk)
    with pytest.raises(errors.WaitlistEntryNotFound):
        services.waitlist_leave(user=fans[0], entry_id=on_list[1].pk)


def test_the_summary_counts_entries_and_offers(category, holders, on_list, fans, concert):
    give_back(holders[0])
    give_back(holders[1])
    taken = WaitlistOffer.objects.get(entry=on_list[0])
    services.waitlist_offer_accept(user=fans[0], offer_id=taken.pk)
    lapsing = WaitlistOffer.objects.get(entry=on_list[1])
    services.waitlist_offers_lapse_overdue(now=lapsing.expires_at)
    deliver_all()
    assert selectors.waitlist_summary(concert.pk) == {
        "entries": 3,
        "waiting": 0,
        "offers_made": 3,
        "offers_taken": 1,
        "offers_lapsed": 1,
    }


def test_offers_wait_while_fans_are_in_the_line(db):
    """Seats that come back go to the line first (in line order); the list gets them once
    the line is empty or closed as sold out."""
    from bookings import services as booking_services
    from queueing import redis_queue
    from queueing import services as queue_services
    from tests.factories import (
        BookingFactory,
        ConcertFactory,
        TicketCategoryFactory,
        UserFactory,
    )
    from waitlist import services as waitlist_services

    concert = ConcertFactory()
    category = TicketCategoryFactory(concert=concert, total_seats=2)
    redis_queue.clear(concert.pk)
    held = BookingFactory(category=category, quantity=2)
    listed, in_line = UserFactory(), UserFactory()
    waitlist_services.waitlist_join(
        user=listed, concert_id=concert.pk, category_id=category.pk, quantity=1
    )
    # Someone is still in the line (the seats were held, not sold: it never closed).
    redis_queue.mark_built(concert.pk, now_ms=0)
    redis_queue.join(concert.pk, in_line.pk, now_ms=1, sale_starts_ms=0, abandon_ms=10**12)
    assert queue_services.queue_has_waiting(concert_id=concert.pk)

    booking_services.booking_cancel(user=held.user)

    assert waitlist_services.waitlist_offers_make(category_id=category.pk) == []
    redis_queue.leave(concert.pk, in_line.pk)
    assert len(waitlist_services.waitlist_offers_make(category_id=category.pk)) == 1
