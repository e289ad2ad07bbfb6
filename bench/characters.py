"""Refresh 93,000 stored characters against the simulator at a 50 req/s ESI budget.

Prints wall time, ESI requests (by route and status) and peak memory. The seed needed
93,000 requests, ~31 minutes and ~2 GB; the goal is < 2 minutes, < 930 requests when
nothing changed, < 200 MB. Run: `.venv/bin/python bench/characters.py [--changed 0.01]`.
The characters are stored as a previous sync left them (details fetched, not expired).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from killreport import container as container_module
from killreport.cli.sync import run_sync
from killreport.db import migration
from killreport.settings import Settings
from killreport.sim.config import SimConfig
from killreport.sim.server import run_simulator
from killreport.universe import repository
from killreport.universe.repository import Freshness
from killreport.universe.specs import spec_for

CHARACTERS = 93_000


async def main(changed: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migration.upgrade(url)
        async with run_simulator(SimConfig(seed=3, universe="large")) as sim:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, database_url=url, esi_url=sim.endpoints["esi"], esi_max_rps=50
            )
            async with container_module.build(settings) as container:
                container.esi.transport.clock = lambda: datetime.fromtimestamp(
                    sim.state.clock.now(), UTC
                )
                now = container.esi.transport.clock()
                spec = spec_for("character")
                players = [c for c in sim.universe.characters.values() if not c.npc][:CHARACTERS]
                rows = [
                    spec.row(
                        c.character_id,
                        {
                            "name": c.name,
                            "corporation_id": c.corporation_id,
                            "alliance_id": sim.universe.alliance_of(c.corporation_id),
                            "birthday": c.birthday,
                            "gender": c.gender,
                            "race_id": c.race_id,
                            "bloodline_id": c.bloodline_id,
                            "security_status": c.security_status,
                        },
                    )
                    for c in players
                ]
                fresh = Freshness(now, now + timedelta(hours=23))
                async with container.database.transaction() as session:
                    await repository.upsert_entities(session, spec, rows, [fresh] * len(rows))
                del rows
                if changed > 0:
                    print("simulator changes:", sim.advance(days=0, change_fraction=changed))
                sim.reset_stats()
                started = time.perf_counter()
                report = await run_sync(
                    container, "characters", poll_s=0.2, only=("queue characters",)
                )
                elapsed = time.perf_counter() - started
        stats = sim.stats()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    requests = sum(stats["requests_by_status"].values())
    print(f"stored characters: {len(players)}")
    print(f"steps: {report.steps}")
    print(f"wall time: {elapsed:.1f} s")
    print(f"ESI requests: {requests} {stats['requests_by_route']} {stats['requests_by_status']}")
    print(f"peak memory (process, incl. the in-process simulator): {peak_mb:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changed", type=float, default=0.0, help="share of entities changed")
    args = parser.parse_args()
    asyncio.run(main(args.changed))
    sys.exit(0)
