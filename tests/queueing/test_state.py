import random
from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from queueing.state import (
    ETA_MIN_SPAN_MS,
    POLL_DEFAULT_SECONDS,
    POLL_MAX_SECONDS,
    POLL_SHORT_SECONDS,
    POLL_WAIT_SHARE,
    QueueState,
    QueueStatus,
    datetime_from_ms,
    poll_after_seconds,
    poll_base_seconds,
    wait_estimate_seconds,
)


def test_the_wait_estimate_is_fans_ahead_over_the_measured_rate_rounded_up():
    # 10 admissions over 100 s: one per 10 s; 7 fans ahead wait 70 s.
    assert wait_estimate_seconds(7, admitted=10, oldest_admission_ms=0, now_ms=100_000) == 70
    # 3 admissions over 100 s: 1 fan ahead waits 33.3 s, said as 34.
    assert wait_estimate_seconds(1, admitted=3, oldest_admission_ms=0, now_ms=100_000) == 34
    assert wait_estimate_seconds(0, admitted=3, oldest_admission_ms=0, now_ms=100_000) == 0


def test_a_young_queue_counts_at_least_the_minimum_span():
    burst = wait_estimate_seconds(6, admitted=6, oldest_admission_ms=999_000, now_ms=1_000_000)
    assert burst == ETA_MIN_SPAN_MS // 1000


def test_no_estimate_before_any_admission_was_measured():
    assert wait_estimate_seconds(5, admitted=0, oldest_admission_ms=None, now_ms=1) is None


def test_the_state_says_which_panel_a_fan_sees():
    def state(status, position=None):
        return QueueState(1, status, position, 3, None, None, None)

    assert state(QueueStatus.WAITING).in_prequeue
    assert state(QueueStatus.WAITING, 2).in_line
    assert not state(QueueStatus.WAITING, 2).in_prequeue
    assert state(QueueStatus.ACTIVE).is_active
    assert state(QueueStatus.NONE).is_out


# --- the poll hint ------------------------------------------------------------------------
NOW_MS = 1_000_000_000_000
TICK = 5
ABANDON = 300


def _waiting(position, wait, *, status=QueueStatus.WAITING, sale_in_s=-600.0, until=None):
    sale = datetime_from_ms(NOW_MS + int(sale_in_s * 1000))
    return QueueState(1, status, position, 10_000, wait, until, sale)


def _hint(state, seed=0, *, abandon=ABANDON, tick=TICK):
    return poll_after_seconds(
        state, now_ms=NOW_MS, tick_seconds=tick, abandon_seconds=abandon, rng=random.Random(seed)
    )


def _base(state, *, abandon=ABANDON, tick=TICK):
    return poll_base_seconds(state, now_ms=NOW_MS, tick_seconds=tick, abandon_seconds=abandon)


def test_the_front_of_the_line_and_the_active_fan_poll_short():
    assert _base(_waiting(1, None)) == POLL_SHORT_SECONDS
    # The first 100 places poll short whatever the estimate (which is pessimistic in the
    # first minute of admissions): they notice their turn within a few seconds.
    assert _base(_waiting(100, None)) == POLL_SHORT_SECONDS
    assert _base(_waiting(100, 900)) == POLL_SHORT_SECONDS
    assert _base(_waiting(5_000, 3)) == POLL_SHORT_SECONDS  # the next tick reaches this fan
    assert _base(_waiting(None, None, status=QueueStatus.ACTIVE)) == POLL_SHORT_SECONDS


def test_further_back_the_hint_grows_with_the_wait_up_to_the_cap():
    assert _base(_waiting(101, None)) == POLL_DEFAULT_SECONDS  # unknown rate: moderate
    assert _base(_waiting(300, 40)) == 40 * POLL_WAIT_SHARE
    assert _base(_waiting(3_000, 80)) == 80 * POLL_WAIT_SHARE
    assert _base(_waiting(500_000, 50_000)) == POLL_MAX_SECONDS


def test_the_hint_is_jittered_within_twenty_percent():
    state = _waiting(3_000, 80)
    hints = {_hint(state, seed) for seed in range(200)}
    assert len(hints) > 20  # fans that joined together do not poll together
    assert min(hints) >= 40 * 0.8 - 0.05
    assert max(hints) <= 40 * 1.2 + 0.05


def test_the_pre_queue_asks_again_just_after_the_draw_not_before():
    soon = _waiting(None, None, sale_in_s=12.0)
    for seed in range(100):
        assert 12 + TICK <= _hint(soon, seed) <= 12 + 2 * TICK + 0.05
    far = _waiting(None, None, sale_in_s=3_600.0)
    assert _base(far) == POLL_MAX_SECONDS
    undrawn = _waiting(None, None, sale_in_s=-1.0)  # sale opened, draw not yet run
    assert _base(undrawn) == POLL_SHORT_SECONDS


@pytest.mark.parametrize("abandon", [20, 60, 300, 3_600])
def test_a_fan_who_polls_when_told_never_loses_the_place(abandon):
    # For any place in the line, any wait, the pre-queue and the active slot, the hint
    # (jitter included) stays well below the abandon timeout.
    states = [_waiting(None, None, status=QueueStatus.ACTIVE), _waiting(None, None)]
    states += [_waiting(None, None, sale_in_s=s) for s in (1, 30, 600, 10**6)]
    states += [
        _waiting(position, wait)
        for position in (1, 2, 99, 100, 101, 1_000, 500_000, 10**9)
        for wait in (None, 0, 5, 30, 600, 86_400, 10**9)
    ]
    for state in states:
        for seed in range(30):
            assert _hint(state, seed, abandon=abandon) <= abandon / 3, state


def test_as_json_is_the_contracts_queue_state_with_the_hint():
    until = datetime(2030, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)
    state = _waiting(None, None, status=QueueStatus.ACTIVE, until=until)
    body = state.as_json(now_ms=NOW_MS, rng=random.Random(1))
    assert body == {
        "concert_id": 1,
        "status": "active",
        "position": None,
        "queue_length": 10_000,
        "estimated_wait_seconds": None,
        "active_until": "2030-01-02T03:04:05.600000Z",
        "sale_starts_at": "2001-09-09T01:36:40Z",
        "line": "open",
        "line_reason": None,
        "poll_after_seconds": body["poll_after_seconds"],
    }
    assert 1.6 <= body["poll_after_seconds"] <= 2.4
    # The same datetimes as DRF's DateTimeField writes them.
    assert body["active_until"] == serializers.DateTimeField().to_representation(until)
