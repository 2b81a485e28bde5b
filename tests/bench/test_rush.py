"""The rush's fans poll as the page does, and the harness measures what the issue asks."""

import random

from bench.rush import FanLog, poll_delay_seconds, polling_figures


def test_a_fan_polls_when_the_answer_says():
    assert (
        poll_delay_seconds({"status": "waiting", "position": 9, "poll_after_seconds": 7.3}) == 7.3
    )
    assert poll_delay_seconds({"status": "active", "poll_after_seconds": 2.1}) == 2.1
    assert poll_delay_seconds({"status": "none", "poll_after_seconds": 10.0}) is None


def test_without_a_hint_the_former_fixed_rule_applies_with_jitter():
    delay = poll_delay_seconds({"status": "waiting", "position": 5000}, random.Random(1))
    assert 8.0 <= delay <= 12.0


def _fan(joined, stopped, polls, admitted=None, noticed=None):
    return FanLog(
        joined_at=joined,
        stopped_waiting_at=stopped,
        status_polls=polls,
        admitted_wall=admitted,
        noticed_wall=noticed,
    )


def test_the_figures_compare_with_fixed_polling_and_measure_the_notice():
    logs = [
        _fan(0, 100, 4, admitted=1000.0, noticed=1001.0),  # fixed 10 s: 10 requests
        _fan(0, 50, 2, admitted=1002.0, noticed=1004.5),  # fixed 10 s: 5
        _fan(0, 300, 9),  # still waiting at the end; fixed 10 s: 30
        FanLog(),  # never joined (sold out at the door): not counted
    ]
    figures = polling_figures(logs, front=1)
    assert figures["status_requests_per_fan"] == 5.0
    assert figures["fixed_10s_polling_requests_per_fan"] == 15.0
    assert figures["fewer_status_requests_than_fixed_polling"] == 3.0

    first = figures["admission_notice"]["first_1_admitted"]
    assert (first["fans"], first["p50_s"]) == (1, 1.0)
    everyone = figures["admission_notice"]["all_admitted"]
    assert (everyone["fans"], everyone["p99_s"]) == (2, 2.5)


def test_a_slow_server_slows_the_fixed_poller_too():
    slow = _fan(0, 110, 1)
    slow.status_seconds = 1.0  # answers take 1 s: a fixed 10-s poller sends 110 / 11
    figures = polling_figures([slow])
    assert figures["mean_status_answer_s"] == 1.0
    assert figures["fixed_10s_polling_requests_per_fan"] == 10.0
