"""Read-then-write units of two processes on one SQLite file are isolated from each other.

Every writing unit begins with BEGIN IMMEDIATE on SQLite (db/engine.py), so a unit's
reads and the writes it decides on them are one step for any other process. Without it
pysqlite begins at the first write: a unit reads, the other process commits, and the
unit writes on what it read (a membership list mixing both processes' corporations, or
budget admissions granted twice against the same state).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime

import orjson
from sqlalchemy import select

from killreport.db.engine import Database
from killreport.db.tables import AllianceCorporation, Corporation
from killreport.universe import repository
from killreport.universe.repository import Freshness
from killreport.universe.specs import spec_for
from tests.esi.shared_worker import ROOT

ALLIANCE_ID = 99_000_001
CORPORATIONS = list(range(98_000_001, 98_000_041))
ROUNDS = 60
MAX_RPS = 40
START_IN_S = 3.0
BUDGET_AT_S = 8.0


async def _seed(database: Database) -> None:
    now = datetime.now(UTC)
    spec = spec_for("corporation")
    body = {"name": "c", "ticker": "T", "member_count": 1, "ceo_id": 1, "creator_id": 1}
    rows = [spec.row(i, body) for i in CORPORATIONS]
    async with database.transaction() as session:
        await repository.upsert_entities(session, spec, rows, [Freshness(now, None)] * len(rows))


async def _worker(job: dict[str, object]) -> dict[str, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.universe.isolation_worker",
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(orjson.dumps(job)), timeout=120)
    assert process.returncode == 0
    result: dict[str, int] = orjson.loads(out.strip().splitlines()[-1])
    return result


async def test_two_processes_replacing_members_and_admitting_requests_stay_isolated(
    sqlite_url: str,
) -> None:
    # given 40 stored corporations on the embedded database
    database = Database.from_url(sqlite_url)
    try:
        await _seed(database)
        # when two processes at once replace one alliance's members 60 times each, one
        # with the first 20 corporations and one with the last 20, then both ask the
        # database ESI budget for as many admissions as it gives in 1.5 s (40 per 2 s)
        halves = [CORPORATIONS[:20], CORPORATIONS[20:]]
        start_at = time.time() + START_IN_S
        jobs = [
            {
                "url": sqlite_url,
                "start_at": start_at,
                "alliance_id": ALLIANCE_ID,
                "members": members,
                "rounds": ROUNDS,
                "max_rps": MAX_RPS,
                "budget_at_s": BUDGET_AT_S,
                "budget_s": 1.5,
            }
            for members in halves
        ]
        results = await asyncio.gather(*(_worker(job) for job in jobs))
        async with database.reading() as session:
            listed = set(
                (
                    await session.execute(
                        select(AllianceCorporation.corporation_id).where(
                            AllianceCorporation.alliance_id == ALLIANCE_ID
                        )
                    )
                ).scalars()
            )
            claiming = set(
                (
                    await session.execute(
                        select(Corporation.corporation_id).where(
                            Corporation.alliance_id == ALLIANCE_ID
                        )
                    )
                ).scalars()
            )
    finally:
        await database.dispose()
    # then every unit found exactly its own list before committing, the alliance ends
    # listing one process's members and the corporations claiming it are those
    assert [r["mixed"] for r in results] == [0, 0]
    assert listed in (set(halves[0]), set(halves[1]))
    assert claiming == listed
    # and the two processes together were granted exactly the budget's 40, not more
    assert sum(r["granted"] for r in results) == MAX_RPS, results
