"""The simulator counts a request in the second it arrived, as a server-side limiter does."""

from __future__ import annotations

from killreport.sim.stats import Stats


def test_a_slow_answer_counts_in_its_arrival_second() -> None:
    # given a clock at second 10 when two requests arrive
    now = [10.2]
    stats = Stats(clock=lambda: now[0])
    first, second = stats.started(), stats.started()
    # when both are answered in the next second
    now[0] = 11.7
    stats.finished("esi", "esi GET /status", 200, first)
    stats.finished("esi", "esi GET /status", 200, second)
    # then second 10 carries both and second 11 none
    snapshot = stats.snapshot()
    assert snapshot["requests_per_second"] == {"10": 2}
    assert snapshot["peak_requests_per_second"] == 2
    assert snapshot["peak_concurrency"] == 2
