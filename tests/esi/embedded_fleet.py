"""Processes of the embedded default on one SQLite file: `killreport worker --all` beside a sync.

Used by tests/esi/test_embedded_budget.py and bench/embedded_budget.py: start worker
processes against the simulator, wait until their consumers are registered, stop them,
and read what the simulator counted and what the database holds.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from killreport.db.engine import Database
from killreport.db.tables import Alliance, Character, Corporation, QueueConsumer
from killreport.sim.server import Simulator
from tests.universe.expected import Reachable

ROOT = Path(__file__).resolve().parents[2]
KILLREPORT = str(Path(sys.executable).with_name("killreport"))
READY_TIMEOUT_S = 60.0


def environment(database_url: str, esi_url: str, rps: int, data_dir: Path) -> dict[str, str]:
    """The embedded default pointed at the simulator (no Redis, no broker)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")}
    env.update(
        KILLREPORT_DATABASE_URL=database_url,
        KILLREPORT_ESI_URL=esi_url,
        KILLREPORT_ESI_MAX_RPS=str(rps),
        KILLREPORT_DATA_DIR=str(data_dir),
        KILLREPORT_LOG_LEVEL="WARNING",
    )
    return env


async def start_workers(
    count: int, env: dict[str, str], database: Database
) -> list[asyncio.subprocess.Process]:
    """`count` `killreport worker --all` processes, returned once their consumers registered."""
    workers = [
        await asyncio.create_subprocess_exec(
            KILLREPORT, "worker", "--all", cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL
        )
        for _ in range(count)
    ]
    deadline = time.monotonic() + READY_TIMEOUT_S
    query = select(func.count()).where(QueueConsumer.queue == "esi_alliance_info_queue")
    while True:
        async with database.reading() as session:
            registered = int(await session.scalar(query) or 0)
        if registered >= count:
            return workers
        if time.monotonic() > deadline or any(w.returncode is not None for w in workers):
            await stop_workers(workers)
            raise RuntimeError(f"{registered} of {count} workers registered their consumers")
        await asyncio.sleep(0.2)


async def stop_workers(workers: Sequence[asyncio.subprocess.Process]) -> None:
    """SIGTERM every worker still running and wait for all of them."""
    for worker in workers:
        if worker.returncode is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        await worker.wait()


async def stored_reachable(database: Database, wanted: Reachable) -> tuple[int, int, int]:
    """How many of the reachable alliances, corporations and characters are stored."""
    found = []
    for column, ids in (
        (Alliance.alliance_id, wanted.alliances),
        (Corporation.corporation_id, wanted.corporations),
        (Character.character_id, wanted.characters),
    ):
        async with database.reading() as session:
            stored = set((await session.execute(select(column))).scalars())
        found.append(len(stored & ids))
    return found[0], found[1], found[2]


@dataclass(frozen=True, slots=True)
class EsiCount:
    """What the simulator counted on ESI: the busiest second, the total, 420s and 429s."""

    busiest_second: int
    requests: int
    status_420: int
    status_429: int


def esi_count(sim: Simulator) -> EsiCount:
    """The simulator's ESI figures since its counters were last reset."""
    stats = sim.stats()
    per_second = stats["requests_per_second_by_service"].get("esi", {})
    by_status = stats["requests_by_status"]
    return EsiCount(
        busiest_second=max(per_second.values(), default=0),
        requests=sum(per_second.values()),
        status_420=int(by_status.get("420", 0)),
        status_429=int(by_status.get("429", 0)),
    )
