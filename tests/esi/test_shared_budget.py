"""Four processes share one Redis budget: errors never cross the floor, never a 420.

The acceptance item asks for 20,000 entities. The budget spends at most 90 errors per
error window and waits out whole-second reset headers plus a 1 s margin, so 4,000 unknown
ids took about 70 s with a 1 s window and 165 s with a 2 s one on this shared machine: too
long for the suite. This test runs the same workers on 2,000 ids;
`python -m bench.esi_shared_budget` runs the full 20,000 and prints wall time, rate, counts
by status, the lowest remain against the floor and the busiest second.
"""

from __future__ import annotations

from killreport.sim import SimConfig, run_simulator
from tests.esi.shared_worker import FleetConfig, run_fleet, split_ids

PROCESSES = 4
PER_PROCESS = 500
UNKNOWN_SHARE = 0.2
FLOOR = 10
MAX_RPS = 400


async def test_four_processes_share_the_error_limit_without_a_420(redis_url: str) -> None:
    # given a simulator whose error window is shortened to 2 s, and 2,000 characters of
    # which 20 % do not exist, shuffled and split over four processes sharing one budget
    config = SimConfig(seed=9, error_limit=100, error_window_s=2.0)
    async with run_simulator(config) as sim:
        batches = split_ids(
            sorted(sim.universe.characters), PROCESSES, PER_PROCESS, UNKNOWN_SHARE, seed=9
        )
        fleet = FleetConfig(sim.endpoints["esi"], redis_url, FLOOR, MAX_RPS, max_concurrency=40)
        # when the four processes fetch at once
        results = await run_fleet(fleet, batches, timeout_s=120)
        stats = sim.stats()
    # then every call ended as it should, ESI never said 420 (nor 429), no second went
    # over the request cap, and the lowest error count any answer reported stayed at or
    # above the floor. How close to the floor it gets (the budget used, not hoarded)
    # depends on how fast a loaded machine spends errors: the benchmark prints it.
    unknown_per_process = int(PER_PROCESS * UNKNOWN_SHARE)
    known_per_process = PER_PROCESS - unknown_per_process
    assert [(r.ok, r.not_found, r.other) for r in results] == [
        (known_per_process, unknown_per_process, 0)
    ] * PROCESSES
    assert stats["requests_by_status"] == {
        "200": known_per_process * PROCESSES,
        "404": unknown_per_process * PROCESSES,
    }
    assert stats["peak_requests_per_second"] <= MAX_RPS
    lowest = min(r.min_remain for r in results if r.min_remain is not None)
    assert lowest >= FLOOR, lowest
