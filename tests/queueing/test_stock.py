"""Admission follows stock, and the line says why it moves or not (issue #12, parts 1-2).

The turnstile admits only while seats are free to hold for the fans it lets in: the seats
left, less QUEUE_SEATS_PER_ADMISSION for every admitted fan who has not held yet. No seat
free but some held: the line pauses (`seats_held`) and moves on, in order, when seats
return. None free and none held: sold out, the line closes and every waiting fan is told.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from bookings import services as booking_services
from bookings.models import Booking
from concerts.errors import TicketLimitReached
from queueing import redis_queue, services
from queueing.errors import SoldOut
from queueing.models import QueueEntry
from queueing.state import LineReason, LineState, QueueStatus
from tests.factories import ConcertFactory, TicketCategoryFactory


@pytest.fixture
def small_sale(db, settings):
    """A concert on sale with 4 seats; each admitted fan reserves 2 until they hold."""
    settings.QUEUE_SEATS_PER_ADMISSION = 2
    settings.QUEUE_MAX_ACTIVE_USERS = 100
    settings.QUEUE_ABANDON_SECONDS = 3600  # nobody polls in these tests
    concert = ConcertFactory()
    category = TicketCategoryFactory(concert=concert, total_seats=4)
    redis_queue.clear(concert.pk)
    return concert, category


def _join_all(concert, fans):
    for fan in fans:
        services.queue_join(user_id=fan.pk, concert=concert)


def _hold(fan, category, quantity):
    return booking_services.booking_create(user=fan, category_id=category.pk, quantity=quantity)


def _state(fan, concert):
    return services.queue_status(user_id=fan.pk, concert_id=concert.pk)


def _sell(booking):
    # What a confirmation does to the stock: the held seats become sold.
    Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.CONFIRMED)


def test_admission_stops_when_the_seats_left_are_reserved_for_fans_admitted(small_sale, fans):
    concert, _category = small_sale
    crowd = fans(5)
    _join_all(concert, crowd)

    admitted = services.queue_admit_next(concert_id=concert.pk)

    # 4 seats, 2 reserved per admitted fan: two fans, in line order, and no more.
    assert admitted == [crowd[0].pk, crowd[1].pk]
    third = _state(crowd[2], concert)
    assert third.status == QueueStatus.WAITING
    assert third.position == 1
    assert (third.line, third.line_reason) == (LineState.PAUSED, LineReason.SEATS_HELD)
    assert third.estimated_wait_seconds is None  # nobody can know it while the line is still
    assert services.queue_admit_next(concert_id=concert.pk) == []


def test_a_fan_who_holds_frees_the_reserve_only_for_what_is_left(small_sale, fans):
    concert, category = small_sale
    crowd = fans(5)
    _join_all(concert, crowd)
    services.queue_admit_next(concert_id=concert.pk)

    _hold(crowd[0], category, 1)  # 3 left; fan 2 still reserves 2: one more seat is free
    assert services.queue_admit_next(concert_id=concert.pk) == [crowd[2].pk]
    _hold(crowd[1], category, 2)  # 1 left, reserved for fan 3
    assert services.queue_admit_next(concert_id=concert.pk) == []


def test_admission_resumes_in_line_order_when_held_seats_return(small_sale, fans, settings):
    concert, category = small_sale
    crowd = fans(5)
    _join_all(concert, crowd)
    services.queue_admit_next(concert_id=concert.pk)
    first = _hold(crowd[0], category, 2)
    _hold(crowd[1], category, 2)
    assert category.__class__.objects.get(pk=category.pk).available_seats == 0
    services.queue_admit_next(concert_id=concert.pk)
    assert _state(crowd[2], concert).line_reason == LineReason.SEATS_HELD

    # The first fan's hold lapses (and their turn ends): the seats come back.
    later = timezone.now() + timedelta(seconds=settings.BOOKING_HOLD_SECONDS + 1)
    services.queue_leave(user_id=crowd[0].pk, concert_id=concert.pk)
    assert booking_services.booking_expire(booking_id=first.pk, now=later)

    assert services.queue_admit_next(concert_id=concert.pk) == [crowd[2].pk]
    fourth = _state(crowd[3], concert)
    assert fourth.position == 1
    assert fourth.line_reason == LineReason.SEATS_HELD  # 2 back, reserved for fan 3


def test_sold_out_closes_the_line_and_every_waiting_fan_is_told(small_sale, fans):
    concert, category = small_sale
    crowd = fans(5)
    _join_all(concert, crowd)
    services.queue_admit_next(concert_id=concert.pk)
    _sell(_hold(crowd[0], category, 2))
    _sell(_hold(crowd[1], category, 2))

    assert services.queue_admit_next(concert_id=concert.pk) == []

    for fan in crowd[2:]:
        state = _state(fan, concert)
        assert state.status == QueueStatus.NONE
        assert (state.line, state.line_reason) == (LineState.SOLD_OUT, LineReason.SOLD_OUT)
        assert state.as_json()["line"] == "sold_out"
    assert set(
        QueueEntry.objects.filter(concert=concert, status=QueueEntry.Status.SOLD_OUT).values_list(
            "user_id", flat=True
        )
    ) == {fan.pk for fan in crowd[2:]}
    with pytest.raises(SoldOut):
        services.queue_join(user_id=crowd[2].pk, concert=concert)


def test_a_line_with_seats_free_is_open_with_its_estimate(small_sale, fans):
    concert, _category = small_sale
    crowd = fans(1)
    _join_all(concert, crowd)
    state = _state(crowd[0], concert)
    assert (state.line, state.line_reason) == (LineState.OPEN, None)


@pytest.mark.parametrize("how", ["pause", "cap_zero"])
def test_a_paused_line_says_so_at_once_and_gives_no_estimate(small_sale, fans, how):
    concert, _category = small_sale
    crowd = fans(3)
    _join_all(concert, crowd[:1])
    services.queue_admit_next(concert_id=concert.pk)  # an admission: an estimate exists
    _join_all(concert, crowd[1:])
    if how == "pause":
        services.queue_admission_pause(concert_id=concert.pk)
    else:
        services.queue_cap_set(concert_id=concert.pk, cap=0)

    state = _state(crowd[2], concert)  # no tick needed: staff controls act at once
    assert (state.line, state.line_reason) == (LineState.PAUSED, LineReason.PAUSED_BY_STAFF)
    assert state.estimated_wait_seconds is None
    assert state.position == 2


def test_a_fan_at_the_ticket_limit_cannot_join(small_sale, fans, settings):
    concert, category = small_sale
    settings.MAX_TICKETS_PER_FAN = 2
    (fan,) = fans(1)
    _join_all(concert, [fan])
    services.queue_admit_next(concert_id=concert.pk)
    _sell(_hold(fan, category, 2))
    services.queue_slot_release(user_id=fan.pk, concert_id=concert.pk)

    with pytest.raises(TicketLimitReached) as refused:
        services.queue_join(user_id=fan.pk, concert=concert)
    assert refused.value.extra == {"limit": 2, "held": 2}
    assert _state(fan, concert).status == QueueStatus.NONE


def test_the_api_answers_409_with_the_codes(small_sale, fans, settings):
    concert, category = small_sale
    settings.MAX_TICKETS_PER_FAN = 2
    buyer, late = fans(2)
    _join_all(concert, [buyer])
    services.queue_admit_next(concert_id=concert.pk)
    _sell(_hold(buyer, category, 2))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(buyer)}")
    limit = client.post("/api/v1/queue/join", {"concert_id": concert.pk}, format="json")
    assert limit.status_code == 409
    assert limit.json()["code"] == "ticket_limit_reached"

    category.__class__.objects.filter(pk=category.pk).update(available_seats=0)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(late)}")
    sold_out = client.post("/api/v1/queue/join", {"concert_id": concert.pk}, format="json")
    assert sold_out.status_code == 409
    assert sold_out.json()["code"] == "sold_out"


def test_staff_see_the_same_state_and_no_estimate(small_sale, fans):
    from queueing.selectors import queue_overview

    concert, _category = small_sale
    _join_all(concert, fans(5))
    services.queue_admit_next(concert_id=concert.pk)
    overview = queue_overview(concert_id=concert.pk)
    assert (overview.line, overview.line_reason) == (LineState.PAUSED, LineReason.SEATS_HELD)
    assert overview.estimated_wait_at_back_seconds is None


def test_a_concert_without_categories_is_not_limited(settings, fans):
    settings.QUEUE_ABANDON_SECONDS = 3600
    concert = ConcertFactory()
    redis_queue.clear(concert.pk)
    crowd = fans(2)
    _join_all(concert, crowd)
    assert services.queue_admit_next(concert_id=concert.pk) == [f.pk for f in crowd]


def test_a_tick_after_the_clock_passes_the_slot_frees_its_reserve(small_sale, fans, settings):
    concert, _category = small_sale
    crowd = fans(3)
    _join_all(concert, crowd)
    services.queue_admit_next(concert_id=concert.pk)
    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.QUEUE_SLOT_SECONDS + 1), tick=False
    ):
        # Both slots ran out without a hold: their reserve is free again.
        assert services.queue_admit_next(concert_id=concert.pk) == [crowd[2].pk]


def test_a_tick_with_an_older_stock_read_does_not_reopen_a_sold_out_line(small_sale, fans):
    """Ticks on two nodes may apply their stock out of order: the newest read wins."""
    concert, _category = small_sale
    crowd = fans(2)
    _join_all(concert, crowd)

    def tick(read_ms: int, *, free: int, in_flux: int):
        return redis_queue.admit(
            concert.pk,
            now_ms=read_ms,
            slot_ms=60_000,
            default_cap=10,
            per_minute=0,
            abandon_ms=10**12,
            stock=redis_queue.Stock(
                seats_free=free, seats_in_flux=in_flux, seats_per_fan=2, read_ms=read_ms
            ),
        )

    now = int(timezone.now().timestamp() * 1000)
    assert tick(now, free=0, in_flux=0).line == "sold_out"  # the newer read: sold out
    late = tick(now - 50, free=0, in_flux=2)  # an older read, applied after it
    assert late.closed == 0
    state = _state(crowd[0], concert)
    assert (state.line, state.line_reason) == (LineState.SOLD_OUT, LineReason.SOLD_OUT)


def test_a_stock_read_older_than_a_purchase_admits_nobody(small_sale, fans):
    """A fan bought and their slot ended after the tick read the stock: that read still
    shows their seats free, and their reserve is gone. The tick admits nobody on it; the
    next tick reads again."""
    concert, _category = small_sale
    buyer, waiting = fans(2)
    _join_all(concert, [buyer, waiting])
    now = int(timezone.now().timestamp() * 1000)
    admit = dict(now_ms=now, slot_ms=60_000, default_cap=10, per_minute=0, abandon_ms=10**12)
    read = redis_queue.Stock(seats_free=2, seats_in_flux=0, seats_per_fan=2, read_ms=now - 10)
    assert redis_queue.admit(concert.pk, stock=read, **admit).admitted == [buyer.pk]
    redis_queue.release(concert.pk, buyer.pk, now_ms=now - 5)  # bought both seats

    assert redis_queue.admit(concert.pk, stock=read, **admit).admitted == []
    fresh = redis_queue.Stock(seats_free=0, seats_in_flux=0, seats_per_fan=2, read_ms=now)
    assert redis_queue.admit(concert.pk, stock=fresh, **admit).closed == 1  # sold out
