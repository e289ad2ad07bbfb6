"""One process of tests/universe/test_isolation.py: read-then-write units against another.

`python -m tests.universe.isolation_worker` reads `{"url", "start_at", "alliance_id",
"members", "rounds", "max_rps", "budget_s"}` as JSON on stdin and waits until
`start_at` (epoch seconds) so both processes begin together. Then:

1. `rounds` units, each replacing the alliance's members with `members` and reading,
   before it commits, what the alliance now lists: a unit isolated from the other
   process always finds exactly its own list;
2. for `budget_s` seconds, admissions asked one at a time of the database ESI budget
   (read the shared state, admit, write it back), with `max_rps` per 2-second window.

It prints one JSON line: units that found another list, and admissions it was granted.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select

from killreport.db.engine import Database
from killreport.db.tables import AllianceCorporation
from killreport.esi.budget import BudgetPolicy
from killreport.esi.budget_database import DatabaseBudgetStore
from killreport.universe import repository


async def _replace_members(database: Database, job: dict[str, Any]) -> int:
    members = set(job["members"])
    alliance_id = job["alliance_id"]
    mixed = 0
    for _ in range(job["rounds"]):
        async with database.transaction() as session:
            await repository.replace_alliance_members(
                session, alliance_id, members, datetime.now(UTC)
            )
            query = select(AllianceCorporation.corporation_id).where(
                AllianceCorporation.alliance_id == alliance_id
            )
            listed = set((await session.execute(query)).scalars())
        mixed += listed != members
    return mixed


async def _admissions(database: Database, job: dict[str, Any]) -> int:
    policy = BudgetPolicy(max_rps=job["max_rps"], rps_window_s=2.0, max_concurrency=10_000)
    store = DatabaseBudgetStore(database, policy)
    granted = 0
    deadline = time.monotonic() + job["budget_s"]
    while time.monotonic() < deadline:
        if await store.try_acquire(uuid.uuid4().hex, None) == 0:
            granted += 1
    return granted


async def run(job: dict[str, Any]) -> dict[str, int]:
    """Run both kinds of unit; return what this process saw."""
    database = Database.from_url(job["url"])
    try:
        await asyncio.sleep(max(0.0, job["start_at"] - time.time()))
        mixed = await _replace_members(database, job)
        await asyncio.sleep(max(0.0, job["start_at"] + job["budget_at_s"] - time.time()))
        granted = await _admissions(database, job)
    finally:
        await database.dispose()
    return {"mixed": mixed, "granted": granted}


if __name__ == "__main__":
    result = asyncio.run(run(orjson.loads(sys.stdin.buffer.read())))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
