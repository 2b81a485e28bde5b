from datetime import timedelta

import pytest
from django.utils import timezone

from concerts.errors import ConcertNotFound
from concerts.models import Concert, TicketCategory
from concerts.selectors import (
    SaleState,
    concert_get,
    concert_is_sale_open,
    concert_is_sold_out,
    concert_list,
    concert_listing,
    concert_prequeue_is_open,
    concert_prequeue_opens_at,
    concert_sale_state,
    concerts_filter_when,
    concerts_in_waiting_room,
    concerts_on_sale,
    concerts_with_sales_figures,
)
from tests.factories import BookingFactory, ConcertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def test_sold_out_means_no_seat_left_in_any_category(make_concert):
    concert = make_concert(categories=[("A", "10", 100), ("B", "20", 50)])
    TicketCategory.objects.filter(concert=concert, name="A").update(available_seats=0)
    assert not concert_is_sold_out(Concert.objects.get(pk=concert.pk))
    TicketCategory.objects.filter(concert=concert).update(available_seats=0)
    assert concert_is_sold_out(Concert.objects.get(pk=concert.pk))
    assert concert_is_sold_out(concert_get(concert_id=concert.pk, published_only=False))
    assert not concert_is_sold_out(ConcertFactory())  # no categories: nothing to sell out of


def test_the_waiting_room_and_sale_window_rules_match_their_querysets(make_concert, now):
    concerts = {
        "early": ConcertFactory(sale_starts_at=now + timedelta(days=1)),
        "prequeue": ConcertFactory(sale_starts_at=now + timedelta(minutes=10)),
        "on_sale": ConcertFactory(sale_starts_at=now - timedelta(hours=1)),
        "past": ConcertFactory(
            sale_starts_at=now - timedelta(days=2), starts_at=now - timedelta(hours=1)
        ),
    }
    everything = Concert.objects.filter(pk__in=[c.pk for c in concerts.values()])
    on_sale = {c for c in concerts.values() if concert_is_sale_open(c, now)}
    in_room = {c for c in concerts.values() if concert_prequeue_is_open(c, now)}
    assert on_sale == {concerts["on_sale"]} == set(concerts_on_sale(everything, now))
    assert in_room == {concerts["prequeue"], concerts["on_sale"]}
    assert in_room == set(concerts_in_waiting_room(everything, now))


@pytest.mark.parametrize(
    ("sale_in", "starts_in", "available", "state"),
    [
        (timedelta(days=1), timedelta(days=9), 100, SaleState.NOT_OPEN),
        (-timedelta(hours=1), timedelta(days=9), 100, SaleState.ON_SALE),
        (-timedelta(hours=1), timedelta(days=9), 10, SaleState.ON_SALE),  # exactly 10%: not few
        (-timedelta(hours=1), timedelta(days=9), 9, SaleState.FEW_LEFT),
        (-timedelta(hours=1), timedelta(days=9), 0, SaleState.SOLD_OUT),
        (-timedelta(days=9), -timedelta(hours=1), 50, SaleState.PAST),
    ],
)
def test_sale_state(make_concert, now, sale_in, starts_in, available, state):
    concert = make_concert(
        categories=[("A", "10", 100)], sale_starts_at=now + sale_in, starts_at=now + starts_in
    )
    TicketCategory.objects.filter(concert=concert).update(available_seats=available)
    fresh = Concert.objects.get(pk=concert.pk)
    assert concert_sale_state(fresh, now) == state
    # the same answer from a listed (annotated + prefetched) concert
    listed = concert_list(published_only=False).get(pk=concert.pk)
    assert concert_sale_state(listed, now) == state
    assert state.can_book is (state in (SaleState.ON_SALE, SaleState.FEW_LEFT))


def test_sale_state_reads_seats_with_one_query_when_not_annotated(
    make_concert, now, django_assert_num_queries
):
    concert = Concert.objects.get(pk=make_concert().pk)
    with django_assert_num_queries(1):
        assert concert_sale_state(concert, now) == SaleState.ON_SALE


def test_sale_window_and_prequeue(make_concert, now, settings):
    settings.QUEUE_PREQUEUE_SECONDS = 1800
    concert = make_concert(
        sale_starts_at=now + timedelta(minutes=20), starts_at=now + timedelta(days=1)
    )
    assert concert_prequeue_opens_at(concert) == concert.sale_starts_at - timedelta(minutes=30)
    assert concert_prequeue_is_open(concert, now)
    assert not concert_is_sale_open(concert, now)
    assert concert_is_sale_open(concert, now + timedelta(minutes=20))
    assert not concert_prequeue_is_open(concert, now - timedelta(minutes=11))
    assert not concert_is_sale_open(concert, now + timedelta(days=1))
    listing = concert_listing(concert_list().get(pk=concert.pk), now)
    assert listing.state == SaleState.NOT_OPEN
    assert listing.prequeue_open
    assert listing.can_join_queue


def test_concert_list_is_published_only_soonest_first(make_concert, now):
    later = make_concert(starts_at=now + timedelta(days=20))
    sooner = make_concert(starts_at=now + timedelta(days=10))
    make_concert(published=False)
    past = make_concert(starts_at=now - timedelta(days=1), sale_starts_at=now - timedelta(days=9))
    assert list(concert_list()) == [past, sooner, later]
    assert list(concert_list(upcoming_only=True, now=now)) == [sooner, later]


def test_concert_get_hides_unpublished(make_concert):
    hidden = make_concert(published=False)
    with pytest.raises(ConcertNotFound):
        concert_get(concert_id=hidden.pk)
    assert concert_get(concert_id=hidden.pk, published_only=False) == hidden


def test_sales_figures_do_not_double_count(make_concert):
    concert = make_concert(categories=[("A", "100.00", 100), ("B", "50.00", 100), ("C", "10", 5)])
    a, b, _ = concert.categories.order_by("display_order")
    BookingFactory(category=a, quantity=2, confirmed=True)
    BookingFactory(category=a, quantity=3, confirmed=True)
    BookingFactory(category=b, quantity=4, confirmed=True)
    BookingFactory(category=b, quantity=1)
    BookingFactory(category=a, quantity=2)
    BookingFactory(category=a, quantity=6, expired=True)
    figures = concerts_with_sales_figures(Concert.objects.all()).get(pk=concert.pk)
    assert figures.seats_sold == 9
    assert figures.seats_held == 3
    assert figures.seats_capacity == 205
    assert figures.seats_free == 205 - 12
    assert figures.revenue == 2 * 100 + 3 * 100 + 4 * 50
    assert figures.revenue_currency == "usd"
    other = make_concert()
    assert concerts_with_sales_figures(Concert.objects.filter(pk=other.pk)).get().seats_sold == 0


def test_filter_when(make_concert, now):
    upcoming_not_on_sale = make_concert(sale_starts_at=now + timedelta(days=1))
    on_sale = make_concert()
    past = make_concert(starts_at=now - timedelta(days=1), sale_starts_at=now - timedelta(days=9))
    concerts = Concert.objects.all()
    assert set(concerts_filter_when(concerts, "upcoming", now)) == {upcoming_not_on_sale, on_sale}
    assert set(concerts_filter_when(concerts, "on_sale", now)) == {on_sale}
    assert set(concerts_filter_when(concerts, "past", now)) == {past}


def test_a_concert_without_categories_has_no_tickets_rather_than_sold_out():
    state = concert_sale_state(ConcertFactory())
    assert state == SaleState.NO_TICKETS
    assert not state.can_book
