"""The seed's two-terminal workflow on the embedded default, ten times: one ESI budget.

Usage: .venv/bin/python -m bench.embedded_budget [--runs 10] [--processes 2 4]
       [--universe small] [--rps 50]

Each run is a fresh SQLite database (the embedded default: no Redis, no broker) and the
simulator (in this process, `small` universe like `killreport sim serve`) with its
counters reset. `processes - 1` `killreport worker --all` processes start and register
their consumers, then `killreport sync all` runs to its end, every process with
`KILLREPORT_ESI_MAX_RPS` = --rps; the workers are then stopped. A run holds when the
simulator counted at most --rps ESI requests in every second, answered no 420 and no
429, and when `sync all` returned every alliance, corporation and character reachable
from `GET /alliances` was stored. Prints one line per run and a verdict per process
count. Figures taken while other work shares the machine's two cores are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.esi.embedded_fleet import (
    KILLREPORT,
    ROOT,
    EsiCount,
    environment,
    esi_count,
    start_workers,
    stop_workers,
    stored_reachable,
)
from tests.universe.expected import Reachable, reachable

from killreport.db import migration
from killreport.db.engine import Database
from killreport.sim.config import SimConfig
from killreport.sim.server import Simulator, run_simulator

SEED = 7
SYNC_TIMEOUT_S = 900.0


@dataclass(frozen=True, slots=True)
class RunResult:
    """One run's figures as the simulator and the database saw them."""

    esi: EsiCount
    stored: tuple[int, int, int]
    wanted: tuple[int, int, int]
    sync_s: float

    def holds(self, rps: int) -> bool:
        """At most `rps` in every second, no 420/429, everything reachable stored."""
        return (
            self.esi.busiest_second <= rps
            and self.esi.status_420 == 0
            and self.esi.status_429 == 0
            and self.stored == self.wanted
        )


async def one_run(sim: Simulator, processes: int, rps: int, wanted: Reachable) -> RunResult:
    """Workers and `sync all` on a fresh database against the simulator; its figures."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite+aiosqlite:///{tmp / 'killreport.sqlite3'}"
        migration.upgrade(url)
        env = environment(url, sim.endpoints["esi"], rps, tmp)
        sim.reset_stats()
        sim.reset_limits()
        database = Database.from_url(url)
        try:
            workers = await start_workers(processes - 1, env, database)
            try:
                started = time.monotonic()
                sync = await asyncio.create_subprocess_exec(
                    KILLREPORT,
                    "sync",
                    "all",
                    cwd=ROOT,
                    env=env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                code = await asyncio.wait_for(sync.wait(), SYNC_TIMEOUT_S)
                sync_s = time.monotonic() - started
                if code != 0:
                    raise RuntimeError(f"sync all exited with {code}")
                # What `sync all` left when it returned, before the workers stop.
                stored = await stored_reachable(database, wanted)
            finally:
                await stop_workers(workers)
        finally:
            await database.dispose()
    return RunResult(esi_count(sim), stored, wanted.size(), sync_s)


async def run(runs: int, process_counts: Sequence[int], universe: str, rps: int) -> bool:
    """Every scenario `runs` times; True when every run held."""
    held_all = True
    async with run_simulator(SimConfig(seed=SEED, universe=universe)) as sim:
        wanted = reachable(sim.universe)
        alliances, corporations, characters = wanted.size()
        print(
            f"universe {universe} (seed {SEED}): reachable {alliances} alliances, "
            f"{corporations} corporations, {characters} characters; cap {rps} req/s"
        )
        for processes in process_counts:
            results = []
            for n in range(1, runs + 1):
                result = await one_run(sim, processes, rps, wanted)
                results.append(result)
                esi = result.esi
                print(
                    f"  {processes} processes, run {n:2d}: busiest second "
                    f"{esi.busiest_second:3d}, 420/429 {esi.status_420}/{esi.status_429}, "
                    f"stored {result.stored} of {result.wanted}, {esi.requests} requests, "
                    f"sync {result.sync_s:.1f} s, {'held' if result.holds(rps) else 'BROKEN'}",
                    flush=True,
                )
            held = sum(r.holds(rps) for r in results)
            print(f"{processes} processes: held in {held} of {runs} runs", flush=True)
            held_all = held_all and held == runs
    return held_all


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--universe", default="small")
    parser.add_argument("--rps", type=int, default=50)
    args = parser.parse_args()
    held = asyncio.run(run(args.runs, args.processes, args.universe, args.rps))
    print(f"verdict: {'held' if held else 'BROKEN'}")
    raise SystemExit(0 if held else 1)


if __name__ == "__main__":
    main()
