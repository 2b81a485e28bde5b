from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from queueing import redis_queue, selectors, services
from queueing.errors import SaleNotOpen, SoldOut
from queueing.models import QueueEntry
from tests.factories import ConcertFactory, TicketCategoryFactory

pytestmark = pytest.mark.django_db


def join(fan, concert):
    return services.queue_join(user_id=fan.pk, concert=concert)


def status(fan, concert):
    return services.queue_status(user_id=fan.pk, concert_id=concert.pk)


def test_fans_get_positions_in_the_order_they_joined(concert, fans):
    first, second, third = fans(3)
    assert [join(f, concert).position for f in (first, second, third)] == [1, 2, 3]
    state = status(third, concert)
    assert state.status == "waiting"
    assert state.position == 3
    assert state.queue_length == 3
    assert state.sale_starts_at == concert.sale_starts_at.replace(
        microsecond=concert.sale_starts_at.microsecond // 1000 * 1000
    )


def test_fans_are_admitted_first_in_first_out(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 2
    line = fans(5)
    for fan in line:
        join(fan, concert)
    assert services.queue_admit_next(concert_id=concert.pk) == [line[0].pk, line[1].pk]
    assert status(line[2], concert).position == 1
    for fan in line[:2]:
        services.queue_slot_release(user_id=fan.pk, concert_id=concert.pk)
    assert services.queue_admit_next(concert_id=concert.pk) == [line[2].pk, line[3].pk]


def test_joining_again_keeps_the_first_place(concert, fans):
    first, second = fans(2)
    join(first, concert)
    join(second, concert)
    assert join(first, concert).position == 1
    assert join(second, concert).position == 2
    assert status(second, concert).queue_length == 2
    assert QueueEntry.objects.count() == 2


def test_join_writes_the_durable_entry_and_status_does_not_touch_the_database(
    concert, fans, django_assert_num_queries
):
    (fan,) = fans(1)
    join(fan, concert)
    entry = QueueEntry.objects.get(user=fan, concert=concert)
    assert entry.status == QueueEntry.Status.WAITING
    assert entry.sequence == 1
    with django_assert_num_queries(0):
        assert status(fan, concert).position == 1


def test_joining_again_costs_two_queries_and_writes_nothing(
    concert, fans, django_assert_num_queries
):
    (fan,) = fans(1)
    join(fan, concert)
    with django_assert_num_queries(2):  # the sold-out check, the fan's tickets held
        join(fan, concert)


def test_joining_before_the_prequeue_opens_is_refused(settings, fans):
    settings.QUEUE_PREQUEUE_SECONDS = 1800
    concert = ConcertFactory(sale_starts_at=timezone.now() + timedelta(hours=2))
    (fan,) = fans(1)
    with pytest.raises(SaleNotOpen):
        join(fan, concert)


def test_joining_after_the_concert_began_is_refused(fans):
    concert = ConcertFactory(
        sale_starts_at=timezone.now() - timedelta(days=2),
        starts_at=timezone.now() - timedelta(hours=1),
    )
    (fan,) = fans(1)
    with pytest.raises(SaleNotOpen):
        join(fan, concert)


def test_joining_a_sold_out_concert_is_refused(fans):
    concert = ConcertFactory()
    TicketCategoryFactory(concert=concert, total_seats=10, available_seats=0)
    TicketCategoryFactory(concert=concert, total_seats=5, available_seats=0)
    (fan,) = fans(1)
    with pytest.raises(SoldOut):
        join(fan, concert)
    no_categories_yet = ConcertFactory()  # nothing to sell out of: not refused as sold out
    assert join(fan, no_categories_yet).status == "waiting"


def test_the_prequeue_has_no_position_and_tells_when_the_sale_opens(upcoming_concert, fans):
    (fan,) = fans(1)
    state = join(fan, upcoming_concert)
    assert state.status == "waiting"
    assert state.position is None
    assert state.sale_starts_at is not None
    assert abs(state.sale_starts_at - upcoming_concert.sale_starts_at) < timedelta(seconds=1)
    assert status(fan, upcoming_concert).position is None
    # Nobody is admitted before the sale opens.
    assert services.queue_admit_next(concert_id=upcoming_concert.pk) == []
    assert QueueEntry.objects.get(user=fan).sequence is None


def _prequeue_then_later_arrivals(concert, early, late):
    for fan in early:
        join(fan, concert)
    with time_machine.travel(concert.sale_starts_at + timedelta(seconds=1), tick=False):
        # A fan who arrives after the sale opened but before the draw is still behind
        # every pre-queue fan.
        join(late[0], concert)
        assert status(late[0], concert).position == len(early) + 1
        admitted = services.queue_admit_next(concert_id=concert.pk)
        for fan in late[1:]:
            join(fan, concert)
        admitted += services.queue_admit_next(concert_id=concert.pk)
    return admitted


def test_the_prequeue_is_drawn_at_random_ahead_of_later_arrivals(admit_all, fans, settings):
    settings.QUEUE_ABANDON_SECONDS = 3600  # nobody polls in this test
    early, late = fans(20), fans(5)
    orders = []
    for _ in range(2):
        concert = ConcertFactory(sale_starts_at=timezone.now() + timedelta(minutes=10))
        redis_queue.clear(concert.pk)
        admitted = _prequeue_then_later_arrivals(concert, early, late)
        assert set(admitted[:20]) == {f.pk for f in early}
        assert admitted[20:] == [f.pk for f in late]
        orders.append(admitted[:20])
        sequences = dict(
            QueueEntry.objects.filter(concert=concert).values_list("user_id", "sequence")
        )
        assert sorted(sequences[u] for u in admitted[:20]) == list(range(-20, 0))
    # Two independent draws of 20 fans coincide with probability 1/20! (~4e-19).
    assert orders[0] != orders[1]
    assert orders[0] != [f.pk for f in early]


def test_the_draw_positions_every_prequeue_fan(upcoming_concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 0
    settings.QUEUE_ABANDON_SECONDS = 3600
    early = fans(10)
    for fan in early:
        join(fan, upcoming_concert)
    with time_machine.travel(upcoming_concert.sale_starts_at + timedelta(seconds=1), tick=False):
        services.queue_admit_next(concert_id=upcoming_concert.pk)
        positions = sorted(status(f, upcoming_concert).position for f in early)
    assert positions == list(range(1, 11))


def test_admission_stops_at_the_active_cap(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 3
    line = fans(5)
    for fan in line:
        join(fan, concert)
    assert len(services.queue_admit_next(concert_id=concert.pk)) == 3
    assert services.queue_admit_next(concert_id=concert.pk) == []
    assert [status(f, concert).status for f in line] == ["active"] * 3 + ["waiting"] * 2
    entry = QueueEntry.objects.get(user=line[0])
    assert entry.status == QueueEntry.Status.ACTIVE
    assert entry.active_until is not None


def test_staff_can_pause_and_change_the_cap_at_runtime(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    line = fans(4)
    for fan in line:
        join(fan, concert)
    services.queue_admission_pause(concert_id=concert.pk)
    assert services.queue_admit_next(concert_id=concert.pk) == []
    services.queue_admission_resume(concert_id=concert.pk)
    services.queue_cap_set(concert_id=concert.pk, cap=3)
    assert len(services.queue_admit_next(concert_id=concert.pk)) == 3
    overview = selectors.queue_overview(concert_id=concert.pk)
    assert (overview.active, overview.cap, overview.cap_overridden) == (3, 3, True)
    assert overview.waiting == 1
    assert overview.admitted_last_minute == 3
    services.queue_cap_set(concert_id=concert.pk, cap=None)
    assert selectors.queue_overview(concert_id=concert.pk).cap == 1


def test_the_rate_cap_limits_admissions_per_minute(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 100
    settings.QUEUE_ADMIT_PER_MINUTE = 4
    line = fans(10)
    for fan in line:
        join(fan, concert)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert len(services.queue_admit_next(concert_id=concert.pk)) == 4
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        for fan in line[4:]:
            status(fan, concert)
        assert services.queue_admit_next(concert_id=concert.pk) == []
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert services.queue_admit_next(concert_id=concert.pk) == [f.pk for f in line[4:8]]


def test_an_expired_slot_frees_capacity_for_the_next_fan(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    settings.QUEUE_SLOT_SECONDS = 300
    settings.QUEUE_ABANDON_SECONDS = 600
    first, second = fans(2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        join(first, concert)
        join(second, concert)
        assert services.queue_admit_next(concert_id=concert.pk) == [first.pk]
        assert services.queue_slot_is_active(user_id=first.pk, concert_id=concert.pk)
    with time_machine.travel(start + timedelta(seconds=299), tick=False):
        assert services.queue_admit_next(concert_id=concert.pk) == []
    with time_machine.travel(start + timedelta(seconds=301), tick=False):
        # Expired at once for the booking service, before any tick runs.
        assert not services.queue_slot_is_active(user_id=first.pk, concert_id=concert.pk)
        assert status(first, concert).status == "none"
        assert services.queue_admit_next(concert_id=concert.pk) == [second.pk]
    assert QueueEntry.objects.get(user=first).status == QueueEntry.Status.EXPIRED


def test_a_fan_whose_slot_expired_joins_again_at_the_back(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    first, second = fans(2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        join(first, concert)
        services.queue_admit_next(concert_id=concert.pk)
        join(second, concert)
    with time_machine.travel(start + timedelta(seconds=301), tick=False):
        status(second, concert)
        assert join(first, concert).position == 2
    assert QueueEntry.objects.get(user=first).status == QueueEntry.Status.WAITING


def test_releasing_a_slot_admits_the_next_fan_at_once(
    concert, fans, settings, django_capture_on_commit_callbacks
):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    first, second = fans(2)
    join(first, concert)
    join(second, concert)
    services.queue_admit_next(concert_id=concert.pk)
    until = services.queue_slot_active_until(user_id=first.pk, concert_id=concert.pk)
    assert until is not None
    assert until > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_slot_release(user_id=first.pk, concert_id=concert.pk)
    assert not services.queue_slot_is_active(user_id=first.pk, concert_id=concert.pk)
    assert services.queue_slot_is_active(user_id=second.pk, concert_id=concert.pk)
    assert QueueEntry.objects.get(user=first).status == QueueEntry.Status.COMPLETED
    assert services.queue_slot_active_until(user_id=first.pk, concert_id=concert.pk) is None


def test_a_silent_fan_is_skipped_and_removed_at_admission(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    settings.QUEUE_ABANDON_SECONDS = 300
    silent, polling = fans(2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        join(silent, concert)
        join(polling, concert)
    with time_machine.travel(start + timedelta(seconds=200), tick=False):
        assert status(polling, concert).position == 2
    with time_machine.travel(start + timedelta(seconds=400), tick=False):
        # The silent fan's place is gone even before the tick removes it.
        assert status(silent, concert).status == "none"
        assert services.queue_admit_next(concert_id=concert.pk) == [polling.pk]
    assert QueueEntry.objects.get(user=silent).status == QueueEntry.Status.ABANDONED
    assert selectors.queue_overview(concert_id=concert.pk).waiting == 0


def test_a_fan_who_comes_back_after_abandoning_joins_at_the_back(concert, fans, settings):
    settings.QUEUE_ABANDON_SECONDS = 300
    settings.QUEUE_MAX_ACTIVE_USERS = 0
    silent, polling = fans(2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        join(silent, concert)
        join(polling, concert)
    with time_machine.travel(start + timedelta(seconds=400), tick=False):
        join(polling, concert)  # a join counts as being seen
        assert join(silent, concert).position == 2
        assert status(polling, concert).position == 1


def test_the_wait_estimate_is_fans_ahead_over_the_measured_rate(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 6
    settings.QUEUE_SLOT_SECONDS = 30
    line = fans(30)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for fan in line:
            join(fan, concert)
        assert status(line[-1], concert).estimated_wait_seconds is None  # nothing measured
        services.queue_admit_next(concert_id=concert.pk)  # 6 admitted
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        services.queue_admit_next(concert_id=concert.pk)  # slots expired: 6 more
        # 12 admissions over 60 s (the minimum span) = 0.2 fans/s.
        state = status(line[-1], concert)
        assert state.position == 18
        assert state.estimated_wait_seconds == 17 * 5
        assert status(line[12], concert).estimated_wait_seconds == 0
    with time_machine.travel(start + timedelta(seconds=120), tick=False):
        # Measured over 120 s now: 12 admissions -> 0.1 fans/s.
        assert status(line[-1], concert).estimated_wait_seconds == 17 * 10
        overview = selectors.queue_overview(concert_id=concert.pk)
        assert overview.estimated_wait_at_back_seconds == 18 * 10


def test_leaving_removes_the_fan_and_frees_the_slot(
    concert, fans, settings, django_capture_on_commit_callbacks
):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    first, second, third = fans(3)
    for fan in (first, second, third):
        join(fan, concert)
    services.queue_admit_next(concert_id=concert.pk)
    services.queue_leave(user_id=second.pk, concert_id=concert.pk)
    assert status(second, concert).status == "none"
    assert status(third, concert).position == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_leave(user_id=first.pk, concert_id=concert.pk)
    assert services.queue_slot_is_active(user_id=third.pk, concert_id=concert.pk)
    assert QueueEntry.objects.get(user=first).status == QueueEntry.Status.LEFT
    services.queue_leave(user_id=first.pk, concert_id=concert.pk)  # harmless twice
    # A fan who left may join again, at the back.
    assert join(second, concert).position == 1


def test_rebuild_queue_restores_the_line_into_an_empty_redis(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 2
    line = fans(6)
    for fan in line:
        join(fan, concert)
    services.queue_admit_next(concert_id=concert.pk)
    services.queue_leave(user_id=line[3].pk, concert_id=concert.pk)
    before = {f.pk: status(f, concert) for f in line}

    redis_queue.clear(concert.pk)  # Redis restarted without persistence
    call_command("rebuild_queue", str(concert.pk))

    after = {f.pk: status(f, concert) for f in line}
    for fan in line:
        assert (after[fan.pk].status, after[fan.pk].position) == (
            before[fan.pk].status,
            before[fan.pk].position,
        )
    assert after[line[0].pk].active_until == before[line[0].pk].active_until
    # New fans still join at the back, and the turnstile carries on in order.
    (newcomer,) = fans(1)
    assert join(newcomer, concert).position == 4
    with pytest.raises(CommandError):
        call_command("rebuild_queue", str(concert.pk))


def test_rebuild_queue_keeps_the_prequeue_for_the_draw(upcoming_concert, fans, admit_all, settings):
    settings.QUEUE_ABANDON_SECONDS = 3600
    early = fans(5)
    for fan in early:
        join(fan, upcoming_concert)
    redis_queue.clear(upcoming_concert.pk)
    call_command("rebuild_queue", str(upcoming_concert.pk))
    assert status(early[0], upcoming_concert).position is None
    assert status(early[0], upcoming_concert).status == "waiting"
    with time_machine.travel(upcoming_concert.sale_starts_at + timedelta(seconds=1), tick=False):
        assert sorted(services.queue_admit_next(concert_id=upcoming_concert.pk)) == sorted(
            f.pk for f in early
        )


def test_the_beat_task_ticks_every_concert_on_sale(concert, upcoming_concert, fans):
    from queueing.tasks import admit_all_concerts

    first, second = fans(2)
    join(first, concert)
    join(second, upcoming_concert)
    assert admit_all_concerts.delay().get() == 1
    assert services.queue_slot_is_active(user_id=first.pk, concert_id=concert.pk)
    assert not services.queue_slot_is_active(user_id=second.pk, concert_id=upcoming_concert.pk)


def test_keys_of_a_concert_share_one_hash_tag(settings):
    settings.QUEUE_KEY_PREFIX = "bo"
    keys = redis_queue.concert_keys(42)
    assert keys.waiting == "bo:{c42}:waiting"
    assert {k.split(":")[1] for k in keys.all()} == {"{c42}"}


def test_an_admitted_fan_joining_again_keeps_the_slot(concert, fans):
    (fan,) = fans(1)
    join(fan, concert)
    services.queue_admit_next(concert_id=concert.pk)
    state = join(fan, concert)
    assert state.status == "active"
    assert state.active_until is not None
    assert QueueEntry.objects.get(user=fan).status == QueueEntry.Status.ACTIVE
