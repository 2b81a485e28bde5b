"""Waiting-list invariants under real threads on PostgreSQL + Redis: concurrent offer runs
never offer a seat or an entry twice and keep the list order; accepting an offer racing the
lapse sweep has exactly one winner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum

from concerts.models import TicketCategory
from tests.concurrency import outcome_codes, run_concurrently
from tests.factories import ConcertFactory, TicketCategoryFactory, make_fans
from tests.waitlist.conftest import assert_seats_balance
from waitlist import services
from waitlist.models import WaitlistEntry, WaitlistOffer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sold_out_with_list():
    """A sold-out category of 20 seats with 15 fans waiting for 2 each."""
    category = TicketCategoryFactory(concert=ConcertFactory(), total_seats=20)
    TicketCategory.objects.filter(pk=category.pk).update(available_seats=0)
    fans = make_fans(15, "waiter")
    entries = [
        services.waitlist_join(user=fan, category_id=category.pk, quantity=2) for fan in fans
    ]
    return category, fans, entries


def test_concurrent_offer_runs_offer_each_seat_and_entry_once_in_order(sold_out_with_list):
    category, _fans, entries = sold_out_with_list
    # 9 seats come back outside any booking (so the balance below counts them as offers).
    TicketCategory.objects.filter(pk=category.pk).update(available_seats=9, total_seats=9)

    results = run_concurrently(
        lambda _: len(services.waitlist_offers_make(category_id=category.pk)), range(12)
    )

    assert sum(results) == 5  # 2 + 2 + 2 + 2 + 1: every run after the first found no seat
    offers = WaitlistOffer.objects.filter(category=category)
    assert offers.aggregate(seats=Sum("quantity"))["seats"] == 9
    offered = sorted(offers.values_list("entry_id", flat=True))
    assert offered == [e.pk for e in entries[:5]]  # the first five, no entry twice
    category.refresh_from_db()
    assert category.available_seats == 0
    assert_seats_balance(category)


def test_offer_kicks_and_sweeps_racing_keep_the_seat_count(sold_out_with_list):
    category, _fans, _entries = sold_out_with_list
    TicketCategory.objects.filter(pk=category.pk).update(available_seats=10, total_seats=10)

    def work(n: int):
        if n % 2:
            return services.waitlist_sweep()
        return services.waitlist_on_seats_returned({"category_id": category.pk})

    run_concurrently(work, range(16))
    assert WaitlistOffer.objects.filter(category=category).count() == 5
    assert WaitlistEntry.objects.filter(category=category, status="offered").count() == 5
    assert_seats_balance(category)


def test_accept_racing_the_lapse_sweep_has_exactly_one_winner(sold_out_with_list):
    category, fans, entries = sold_out_with_list
    TicketCategory.objects.filter(pk=category.pk).update(available_seats=2, total_seats=2)
    rounds = 8
    winners = []
    for round_number in range(rounds):
        offer = (
            WaitlistOffer.objects.filter(status="open").first()
            or (services.waitlist_offers_make(category_id=category.pk)[0])
        )
        fan = fans[[e.pk for e in entries].index(offer.entry_id)]
        # The offer is due a moment from now: the fan's accept (before) races the sweep
        # (after); both are legal moves at their own clocks.
        at = offer.expires_at
        before, after = at - timedelta(milliseconds=1), at + timedelta(milliseconds=1)

        def move(kind: str, offer=offer, fan=fan, before=before, after=after):
            if kind == "accept":
                return services.waitlist_offer_accept(user=fan, offer_id=offer.pk, now=before)
            return services.waitlist_offer_lapse(offer_id=offer.pk, now=after)

        results = run_concurrently(move, ["accept", "lapse"])
        offer.refresh_from_db()
        accepted = not isinstance(results[0], Exception)
        lapsed = results[1] is True
        assert accepted != lapsed, (round_number, results)
        assert offer.status == ("taken" if accepted else "lapsed")
        if not accepted:
            assert outcome_codes([results[0]]) == {"offer_not_open": 1}
        winners.append(offer.status)
        assert_seats_balance(category)
        # Give the seats back for the next round: cancel the booking, or they are free already.
        if accepted:
            from bookings import services as booking_services

            booking_services.booking_cancel(user=fan)
        services.waitlist_offers_make(category_id=category.pk)
        assert_seats_balance(category)
    assert set(winners) <= {"taken", "lapsed"}


def test_two_joins_of_one_fan_leave_one_live_entry(sold_out_with_list):
    category, _fans, _entries = sold_out_with_list
    fan = make_fans(1, "twice")[0]
    results = run_concurrently(
        lambda _: services.waitlist_join(user=fan, category_id=category.pk, quantity=1), range(8)
    )
    assert outcome_codes(results) == {"ok": 1, "waitlist_entry_exists": 7}
    assert WaitlistEntry.objects.filter(user=fan).count() == 1


@pytest.mark.control
def test_control_without_the_category_lock_two_runs_offer_from_the_same_seats():
    """The offer loop without SELECT ... FOR UPDATE on the category: both runs read the same
    free seats (a Barrier between the read and the writes), each claims a different entry,
    and one of them then finds its seats gone: an entry is claimed with nothing to offer."""
    import threading

    from django.db import transaction

    from bookings import services as booking_services

    category = TicketCategoryFactory(concert=ConcertFactory(), total_seats=2)
    fans = make_fans(2, "naive")
    for fan in fans:
        TicketCategory.objects.filter(pk=category.pk).update(available_seats=0)
        services.waitlist_join(user=fan, category_id=category.pk, quantity=2)
    TicketCategory.objects.filter(pk=category.pk).update(available_seats=2)
    read_done = threading.Barrier(2)

    def naive_offer_run(_):
        with transaction.atomic():
            free = TicketCategory.objects.get(pk=category.pk).available_seats  # no lock
            waiting = list(
                WaitlistEntry.objects.filter(category=category, status="waiting").order_by("pk")
            )
            read_done.wait(timeout=30)
            for entry in waiting:
                if WaitlistEntry.objects.filter(pk=entry.pk, status="waiting").update(
                    status="offered"
                ):
                    return booking_services.seats_take(
                        category_id=category.pk, quantity=min(entry.quantity, free)
                    )
            return None

    results = run_concurrently(naive_offer_run, range(2))
    assert sorted(results, key=str) == [False, True]  # one claimed an entry, found no seats
