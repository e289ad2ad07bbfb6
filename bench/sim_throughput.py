"""Start `killreport sim serve --universe large` and print start-up time and requests/s.

Usage: .venv/bin/python bench/sim_throughput.py [--universe large] [--seconds 10] [--concurrency 32]

The server runs in its own process; this process is the client. Routes are a mix of the
entity routes an entity sync hits (characters, corporations, alliances, types) plus
killmails. On a shared 2-core machine the figures are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]


def start_server(universe: str) -> tuple[subprocess.Popen[str], dict[str, str], float]:
    """Run the simulator CLI; return the process, its endpoints and the start-up seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/killreport"), "sim", "serve", "--universe", universe, "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("{"):
            return process, json.loads(line), time.perf_counter() - started
    raise SystemExit("simulator exited before it was ready")


async def drive(
    endpoints: dict[str, str], seconds: float, concurrency: int
) -> tuple[int, Counter[int], float]:
    """Hit a mix of ESI routes from `concurrency` workers for `seconds`."""
    esi = endpoints["esi"]
    root = esi.removesuffix("/esi")
    statuses: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers={"User-Agent": "bench"}) as http:
        async with http.post(f"{esi}/universe/ids", json=["Jita"]) as response:
            await response.read()
        async with http.get(f"{esi}/alliances") as response:
            alliances = await response.json()
        sample_corps: list[int] = []
        for alliance_id in alliances[:50]:
            async with http.get(f"{esi}/alliances/{alliance_id}/corporations") as response:
                sample_corps.extend(await response.json())
        characters = []
        for corporation_id in sample_corps[:200]:
            async with http.get(f"{esi}/corporations/{corporation_id}") as response:
                characters.append((await response.json())["ceo_id"])
        async with http.post(f"{root}/_sim/stats/reset"):
            pass
        rng = random.Random(1)
        paths = (
            [f"/characters/{c}" for c in characters] * 5
            + [f"/corporations/{c}" for c in sample_corps[:500]] * 2
            + [f"/alliances/{a}" for a in alliances[:300]]
            + [f"/universe/types/{t}" for t in (587, 588, 670, 11567, 23913, 17738)] * 20
        )
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                async with http.get(esi + rng.choice(paths)) as response:
                    await response.read()
                    statuses[response.status] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return sum(statuses.values()), statuses, elapsed


def main() -> None:
    """Parse options, run the benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--universe", default="large")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args()
    process, endpoints, startup_s = start_server(options.universe)
    try:
        total, statuses, elapsed = asyncio.run(
            drive(endpoints, options.seconds, options.concurrency)
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    print(f"universe:        {options.universe}")
    print(f"start-up:        {startup_s:.2f} s (goal < 10 s)")
    print(f"requests:        {total} in {elapsed:.1f} s with {options.concurrency} connections")
    print(f"throughput:      {total / elapsed:.0f} requests/s (goal >= 2000)")
    print(f"statuses:        {dict(sorted(statuses.items()))}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
