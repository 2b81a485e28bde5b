from queueing.state import ETA_MIN_SPAN_MS, QueueState, QueueStatus, wait_estimate_seconds


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
