"""Benchmark the ESI budget against the simulator: achieved rate, 420/429 counts, tokens.

Usage: .venv/bin/python -m bench.esi_budget [--rps 50] [--latency-ms 50] [--seconds 20]
       [--redis-url redis://127.0.0.1:6379/0]

Prints the sustained request rate (first and last second excluded), the busiest
second as the simulator counted it, 420 and 429 counts and tokens spent per group.
Figures taken while other work shares the machine's two cores are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from tests.esi.simulated import esi_stack

from killreport.esi.builder import BUDGET_PREFIX
from killreport.esi.errors import EsiError
from killreport.sim import SimConfig, run_simulator


async def run(rps: int, latency_ms: float, seconds: float, redis_url: str | None) -> None:
    """Fetch characters (and a few killmails) for `seconds` and print the simulator's counts."""
    async with run_simulator(SimConfig(seed=11, latency_ms=latency_ms)) as sim:
        characters = sorted(sim.universe.characters)
        killmails = [sim.killmail(i) for i in sim.killmail_ids()]
        extra: dict[str, Any] = {"redis_url": redis_url} if redis_url else {}
        async with esi_stack(sim, esi_max_rps=rps, esi_max_concurrency=50, **extra) as stack:
            if redis_url:
                # Start from an empty budget: drop what an earlier run left.
                redis = stack.budget.store.client  # type: ignore[attr-defined]
                async for key in redis.scan_iter(match=f"{BUDGET_PREFIX}:*"):
                    await redis.delete(key)
            client = stack.client
            deadline = time.monotonic() + seconds
            failures = 0

            async def worker(n: int) -> None:
                nonlocal failures
                i = n
                while time.monotonic() < deadline:
                    try:
                        if i % 10 == 0:
                            record = killmails[i % len(killmails)]
                            await client.killmail(record.killmail_id, record.killmail_hash)
                        else:
                            await client.character(characters[i % len(characters)])
                    except EsiError:
                        failures += 1
                    i += 50

            started = time.monotonic()
            await asyncio.gather(*(worker(n) for n in range(50)))
            elapsed_s = time.monotonic() - started
        stats = sim.stats()
    per_second = stats["requests_per_second_by_service"]["esi"]
    first, last = min(map(int, per_second)), max(map(int, per_second))
    middle = [per_second.get(str(s), per_second.get(s, 0)) for s in range(first + 1, last)]
    by_status = stats["requests_by_status"]
    print(f"budget            {rps} req/s, latency {latency_ms:.0f} ms, {elapsed_s:.1f} s run")
    print(f"store             {'redis' if redis_url else 'in-process'}")
    print(f"requests          {sum(per_second.values())}")
    print(f"sustained rate    {sum(middle) / max(1, len(middle)):.1f} req/s (whole seconds)")
    print(f"busiest second    {max(per_second.values())}")
    print(f"420 / 429         {by_status.get('420', 0)} / {by_status.get('429', 0)}")
    print(f"client errors     {failures}")
    print(f"tokens by group   {stats['tokens_spent_by_group']}")
    print(f"peak concurrency  {stats['peak_concurrency']}")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rps", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    asyncio.run(run(args.rps, args.latency_ms, args.seconds, args.redis_url))


if __name__ == "__main__":
    main()
