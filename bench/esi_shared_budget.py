"""Benchmark four processes sharing one Redis ESI budget on 20,000 ids, 20 % of them unknown.

Usage: .venv/bin/python -m bench.esi_shared_budget [--processes 4] [--entities 20000]
       [--unknown-share 0.2] [--error-window-s 2] [--rps 400] [--concurrency 40]
       [--floor 10] [--redis-url redis://127.0.0.1:6379/N]

Each process is the worker of tests/esi/test_shared_budget.py (tests/esi/shared_worker.py),
fetching characters from the simulator (error limit 100 per window). Prints the wall time,
the achieved request rate, the simulator's counts by status (420 and 429 must be zero), the
lowest `X-ESI-Error-Limit-Remain` any answer reported against the floor, and the busiest
second. Without --redis-url a free test database (1..15) is claimed and flushed. Figures
taken while other work shares the machine's two cores are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from tests.esi.shared_worker import FleetConfig, run_fleet, split_ids
from tests.harness import RedisDatabase

from killreport.sim import SimConfig, run_simulator

ERROR_LIMIT = 100


async def run(args: argparse.Namespace, redis_url: str) -> bool:
    """Run the fleet once and print its figures; True when no 420/429 and the floor held."""
    config = SimConfig(
        seed=9, universe="medium", error_limit=ERROR_LIMIT, error_window_s=args.error_window_s
    )
    per_process = args.entities // args.processes
    async with run_simulator(config) as sim:
        batches = split_ids(
            sorted(sim.universe.characters), args.processes, per_process, args.unknown_share, 9
        )
        fleet = FleetConfig(sim.endpoints["esi"], redis_url, args.floor, args.rps, args.concurrency)
        started = time.monotonic()
        results = await run_fleet(fleet, batches, timeout_s=args.timeout_s)
        elapsed_s = time.monotonic() - started
        stats = sim.stats()
    by_status = stats["requests_by_status"]
    per_second = stats["requests_per_second_by_service"]["esi"]
    requests = sum(per_second.values())
    seen = [r.min_remain for r in results if r.min_remain is not None]
    lowest = min(seen) if seen else None
    unknown = sum(r.not_found for r in results)
    print(
        f"scenario          {args.processes} processes x {per_process} ids, "
        f"{unknown} unknown (404), shared Redis budget"
    )
    print(
        f"parameters        esi_max_rps {args.rps}, esi_max_concurrency {args.concurrency}, "
        f"floor {args.floor}; sim error limit {ERROR_LIMIT} per {args.error_window_s:g} s window"
    )
    print(
        f"wall time         {elapsed_s:.1f} s (workers: "
        f"{', '.join(f'{r.elapsed_s:.1f}' for r in results)} s after start-up)"
    )
    print(f"requests          {requests} ({requests / elapsed_s:.0f} req/s over the wall time)")
    print(
        f"errors / s        {unknown / elapsed_s:.1f} (the legacy limit allows "
        f"{(ERROR_LIMIT - args.floor) / args.error_window_s:.1f} above the floor)"
    )
    print(f"by status         {by_status}")
    print(f"420 / 429         {by_status.get('420', 0)} / {by_status.get('429', 0)}")
    print(
        f"worker outcomes   ok {sum(r.ok for r in results)}, not found {unknown}, "
        f"other {sum(r.other for r in results)}"
    )
    print(f"lowest remain     {lowest} (floor {args.floor})")
    print(f"busiest second    {max(per_second.values())} requests (cap {args.rps})")
    return (
        by_status.get("420", 0) == 0
        and by_status.get("429", 0) == 0
        and lowest is not None
        and lowest >= args.floor
    )


def main() -> None:
    """Parse arguments, claim a Redis database unless one is given, and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--unknown-share", type=float, default=0.2)
    parser.add_argument("--error-window-s", type=float, default=2.0)
    parser.add_argument("--rps", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--floor", type=int, default=10)
    parser.add_argument("--timeout-s", type=float, default=900.0)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    database = None if args.redis_url else RedisDatabase.claim()
    try:
        held = asyncio.run(run(args, args.redis_url or database.url))  # type: ignore[union-attr]
    finally:
        if database is not None:
            database.release()
    print(f"verdict           {'held' if held else 'BROKEN'}")
    raise SystemExit(0 if held else 1)


if __name__ == "__main__":
    main()
