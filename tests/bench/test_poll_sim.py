"""The poll hint meets issue #15's targets in a simulated rush (bench.poll_sim)."""

import math

from bench.poll_sim import ABANDON_SECONDS, simulate


def test_the_poll_hint_cuts_requests_and_the_front_notices_its_turn_at_once():
    fans, per_tick, tick = 10_000, 50, 5.0  # the last fan waits 1,000 s
    hinted = simulate(fans=fans, per_tick=per_tick, tick=tick, hinted=True)
    # A fixed 10-s poller asks about once per 10 s until admitted (simulate(hinted=False)
    # gives the same within 2 %, but takes four times as long).
    fixed = sum(math.ceil(place / per_tick) * tick / 10 + 1 for place in range(1, fans + 1)) / fans

    assert fixed / hinted.requests_per_fan >= 3
    assert hinted.notice_p99_first_100_s <= 3.0
    # Nobody polling when told is silent long enough to lose the place.
    assert hinted.longest_gap_s < ABANDON_SECONDS / 3
