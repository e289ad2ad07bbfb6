"""`killreport sim serve`: the offline ESI + zKillboard + SSO simulator as a process."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from cyclopts import App

from killreport.cli.context import start
from killreport.sim import SimConfig, run_simulator

app = App(name="sim", help="Offline simulator of ESI, R2Z2, the zKillboard API and EVE SSO.")


async def _serve(config: SimConfig, started: float) -> None:
    async with run_simulator(config) as sim:
        print(f"simulator ready in {time.perf_counter() - started:.2f} s", flush=True)
        print(json.dumps(sim.endpoints), flush=True)
        await asyncio.Event().wait()


@app.command
def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8090,
    seed: int = 1,
    universe: str = "small",
    latency_ms: float = 0.0,
    error_rate: float = 0.0,
    timeout_rate: float = 0.0,
    reset_rate: float = 0.0,
    error_limit: int = 100,
    window_scale: float = 1.0,
    publish_per_s: float = 0.0,
) -> None:
    """Serve ESI, R2Z2, the zKillboard API and SSO until interrupted.

    Parameters
    ----------
    host
        Address to listen on.
    port
        Port to listen on (0 = any free port).
    seed
        Seed of the generated universe (same seed, same universe).
    universe
        tiny, small, medium, large, or a JSON file with alliances/corporations/characters/killmails.
    latency_ms
        Delay added to every ESI response.
    error_rate
        Share of ESI requests answered with a 5xx.
    timeout_rate
        Share of ESI requests that hang (then 504).
    reset_rate
        Share of ESI connections reset.
    error_limit
        ESI errors allowed per error window before 420.
    window_scale
        Multiplier of every limit window (0.01 makes 15 minutes 9 seconds).
    publish_per_s
        Killmails R2Z2 publishes per second.
    """
    started = time.perf_counter()
    start()
    size: str | Path = (
        universe if universe in ("tiny", "small", "medium", "large") else Path(universe)
    )
    config = SimConfig(
        seed=seed,
        universe=size,
        host=host,
        port=port,
        latency_ms=latency_ms,
        error_rate=error_rate,
        timeout_rate=timeout_rate,
        reset_rate=reset_rate,
        error_limit=error_limit,
        window_scale=window_scale,
        r2z2_publish_per_s=publish_per_s,
    )
    try:
        asyncio.run(_serve(config, started))
    except KeyboardInterrupt:
        print("simulator stopped")
