"""Four processes share one Redis budget: errors never cross the floor, never a 420."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import orjson

from killreport.sim import SimConfig, run_simulator

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 4
PER_PROCESS = 500
UNKNOWN_SHARE = 0.2
FLOOR = 10


async def test_four_processes_share_the_error_limit_without_a_420(redis_url: str) -> None:
    # given a simulator whose error window is shortened to 2 s, and 2,000 characters of
    # which 20 % do not exist, split over four processes sharing one Redis budget
    config = SimConfig(seed=9, error_limit=100, error_window_s=2.0)
    async with run_simulator(config) as sim:
        known = sorted(sim.universe.characters)
        unknown_per_process = int(PER_PROCESS * UNKNOWN_SHARE)
        known_per_process = PER_PROCESS - unknown_per_process
        batches = []
        for n in range(PROCESSES):
            ids = known[n * known_per_process : (n + 1) * known_per_process]
            ids += [2_100_000_000 + n * 1000 + i for i in range(unknown_per_process)]
            batches.append(ids)
        # when the four processes fetch at once
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.esi.shared_worker",
                sim.endpoints["esi"],
                redis_url,
                str(FLOOR),
                ",".join(map(str, ids)),
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            for ids in batches
        ]
        outputs = await asyncio.wait_for(
            asyncio.gather(*(worker.communicate() for worker in workers)), timeout=120
        )
        stats = sim.stats()
    results = [orjson.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    # then every call ended as it should, ESI never said 420, and the lowest error
    # count any answer reported stayed at or above the floor
    assert [(r["ok"], r["not_found"], r["other"]) for r in results] == [
        (known_per_process, unknown_per_process, 0)
    ] * PROCESSES
    assert stats["requests_by_status"] == {
        "200": known_per_process * PROCESSES,
        "404": unknown_per_process * PROCESSES,
    }
    lowest = min(r["min_remain"] for r in results)
    assert FLOOR <= lowest < FLOOR + 10, lowest
