"""Redis loses its data mid-sale: the line comes back from PostgreSQL by itself.

Losing the data is `redis_queue.clear` (what a restart without persistence leaves: no key
of the concert, the epoch included). No operator runs anything in these tests.
"""

import pytest

from queueing import redis_queue, services
from queueing.errors import QueueRebuilding
from queueing.models import QueueControl, QueueEntry
from tests.concurrency import outcome_codes, returned_values, run_concurrently

pytestmark = pytest.mark.django_db


def join(fan, concert):
    return services.queue_join(user_id=fan.pk, concert=concert)


def status(fan, concert):
    return services.queue_status(user_id=fan.pk, concert_id=concert.pk)


def lose_redis(concert) -> None:
    redis_queue.clear(concert.pk)


def test_the_next_join_rebuilds_the_line_in_order_and_the_newcomer_goes_last(concert, fans):
    line = fans(6)
    for fan in line:
        join(fan, concert)
    before = [status(fan, concert).position for fan in line]

    lose_redis(concert)
    (newcomer,) = fans(1)
    state = join(newcomer, concert)

    assert [status(fan, concert).position for fan in line] == before == [1, 2, 3, 4, 5, 6]
    assert state.position == 7
    # the join counter went on from the durable record instead of restarting at 1
    assert QueueEntry.objects.get(user=newcomer).sequence == 7


def test_a_rejoin_after_the_loss_keeps_the_original_place_and_sequence(concert, fans):
    line = fans(5)
    for fan in line:
        join(fan, concert)
    lose_redis(concert)

    # the page re-joins on load, the last fan first
    for fan in reversed(line):
        join(fan, concert)

    assert [status(fan, concert).position for fan in line] == [1, 2, 3, 4, 5]
    sequences = QueueEntry.objects.filter(concert=concert).order_by("user_id")
    assert list(sequences.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]


def test_the_tick_after_the_loss_admits_within_the_cap_without_phantom_slots(
    concert, fans, settings
):
    settings.QUEUE_MAX_ACTIVE_USERS = 3
    line = fans(8)
    for fan in line:
        join(fan, concert)
    assert services.queue_admit_next(concert_id=concert.pk) == [f.pk for f in line[:3]]
    services.queue_slot_release(user_id=line[0].pk, concert_id=concert.pk)  # bought

    lose_redis(concert)
    admitted = services.queue_admit_next(concert_id=concert.pk)

    # the buyer is not restored as active: their freed place goes to the next fan in line
    assert admitted == [line[3].pk]
    assert {
        f.pk for f in line if services.queue_slot_is_active(user_id=f.pk, concert_id=concert.pk)
    } == {
        line[1].pk,
        line[2].pk,
        line[3].pk,
    }
    assert status(line[4], concert).position == 1


def test_pause_and_cap_survive_the_loss(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 1
    line = fans(5)
    for fan in line:
        join(fan, concert)
    services.queue_cap_set(concert_id=concert.pk, cap=3)
    services.queue_admission_pause(concert_id=concert.pk)
    assert QueueControl.objects.get(concert=concert).paused

    lose_redis(concert)
    assert services.queue_admit_next(concert_id=concert.pk) == []  # still paused

    services.queue_admission_resume(concert_id=concert.pk)
    assert len(services.queue_admit_next(concert_id=concert.pk)) == 3  # still capped at 3


def test_the_rate_window_is_restored_from_the_admission_times(concert, fans, settings):
    settings.QUEUE_MAX_ACTIVE_USERS = 100
    settings.QUEUE_ADMIT_PER_MINUTE = 2
    line = fans(5)
    for fan in line:
        join(fan, concert)
    assert len(services.queue_admit_next(concert_id=concert.pk)) == 2

    lose_redis(concert)
    assert services.queue_admit_next(concert_id=concert.pk) == []


def test_status_while_the_state_is_lost_reads_waiting_queues_one_rebuild_and_never_queries(
    concert, fans, monkeypatch, django_assert_num_queries
):
    (fan,) = fans(1)
    join(fan, concert)
    lose_redis(concert)
    asked = []
    monkeypatch.setattr(
        "queueing.tasks.rebuild_concert_queue.delay", lambda concert_id: asked.append(concert_id)
    )

    with django_assert_num_queries(0):
        states = [status(fan, concert) for _ in range(5)]

    assert {(s.status, s.position) for s in states} == {("waiting", None)}
    assert asked == [concert.pk]  # five polls, one rebuild task
    assert redis_queue.concert_keys(concert.pk).seen not in set(
        redis_queue.get_queue_redis().keys("*")
    )  # the polls wrote nothing into the empty state


def test_the_rebuild_task_restores_the_line(concert, fans):
    from queueing.tasks import rebuild_concert_queue

    line = fans(3)
    for fan in line:
        join(fan, concert)
    lose_redis(concert)

    assert rebuild_concert_queue(concert.pk) is True
    assert rebuild_concert_queue(concert.pk) is False  # already there: nothing to do
    assert [status(f, concert).position for f in line] == [1, 2, 3]


def test_scripts_write_nothing_while_the_state_is_missing(concert, redis_client):
    with pytest.raises(redis_queue.RebuildNeeded):
        redis_queue.join(concert.pk, 1, now_ms=1, sale_starts_ms=0, abandon_ms=1000)
    with pytest.raises(redis_queue.RebuildNeeded):
        redis_queue.admit(
            concert.pk, now_ms=1, slot_ms=1, default_cap=5, per_minute=0, abandon_ms=1
        )
    assert redis_client.exists(*redis_queue.concert_keys(concert.pk).all()) == 0


def test_a_join_waits_for_another_process_rebuild_then_gives_a_retriable_refusal(
    concert, fans, monkeypatch
):
    (fan,) = fans(1)
    lose_redis(concert)
    token = redis_queue.rebuild_lock(concert.pk, ttl_ms=30_000)  # a rebuild in progress
    monkeypatch.setattr(services, "_REBUILD_WAIT_SECONDS", 0.2)

    with pytest.raises(QueueRebuilding) as refused:
        join(fan, concert)

    assert refused.value.retry_after == 1
    assert redis_queue.is_empty(concert.pk)  # nothing written into the half-built line
    redis_queue.rebuild_unlock(concert.pk, token)
    assert join(fan, concert).position == 1


def test_the_api_answers_a_join_during_a_rebuild_with_503_and_retry_after(
    auth_client, concert, monkeypatch
):
    lose_redis(concert)
    redis_queue.rebuild_lock(concert.pk, ttl_ms=30_000)
    monkeypatch.setattr(services, "_REBUILD_WAIT_SECONDS", 0.1)

    response = auth_client.post("/api/v1/queue/join", {"concert_id": concert.pk}, format="json")

    assert response.status_code == 503
    assert response.json()["code"] == "queue_rebuilding"
    assert response["Retry-After"] == "1"


@pytest.mark.control
def test_without_the_epoch_a_join_after_the_loss_jumps_the_line(concert, fans):
    """The protection removed: a Redis that lost its data taken for a fresh one restarts
    the join counter at 1, so a newcomer goes ahead of everyone who was waiting."""
    line = fans(3)
    for fan in line:
        join(fan, concert)
    lose_redis(concert)
    redis_queue.mark_built(concert.pk, now_ms=0)  # what the code did before: no check

    (newcomer,) = fans(1)
    assert join(newcomer, concert).position == 1


# --- Joins racing the rebuild: PostgreSQL ------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fans_rejoining_and_joining_at_once_after_the_loss_keep_the_order(concert, fans):
    line = fans(40)
    for fan in line:
        join(fan, concert)
    lose_redis(concert)
    newcomers = fans(20)

    results = run_concurrently(lambda fan: join(fan, concert), [*reversed(line), *newcomers])

    assert outcome_codes(results) == {"ok": 60}
    returned_values(results)
    assert [status(fan, concert).position for fan in line] == list(range(1, 41))
    assert sorted(status(fan, concert).position for fan in newcomers) == list(range(41, 61))
    assert sorted(QueueEntry.objects.values_list("sequence", flat=True)) == list(range(1, 61))


@pytest.mark.control
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_rebuild_lock_concurrent_rebuilds_race_joins(concert, fans, monkeypatch):
    """The lock removed: every joiner rebuilds on its own, and a rebuild that read the rows
    before a newcomer's join overwrites that join: the newcomer vanishes from the line."""
    line = fans(20)
    for fan in line:
        join(fan, concert)
    lose_redis(concert)
    monkeypatch.setattr(redis_queue, "rebuild_lock", lambda *args, **kwargs: "no-lock")
    monkeypatch.setattr(redis_queue, "rebuild_unlock", lambda *args, **kwargs: None)
    monkeypatch.setattr(redis_queue, "is_built", lambda *args, **kwargs: False)
    newcomers = fans(40)

    returned_values(run_concurrently(lambda fan: join(fan, concert), newcomers))

    in_line = redis_queue.snapshot(concert.pk, now_ms=0).waiting
    assert in_line < 60
