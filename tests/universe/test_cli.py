"""`killreport queue characters` and `killreport snapshot alliances` as commands, on both
deployments: the affiliation refresh queues only moved or expired characters, and a
snapshot rerun the same UTC day updates that day's rows."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from killreport.cli.sync import run_sync
from killreport.container import Container
from killreport.db.engine import Database
from killreport.db.tables import AllianceSnapshot, Character, Corporation
from killreport.settings import Settings
from killreport.sim.config import SimConfig
from killreport.sim.esi_bodies import alliance_body, character_body, corporation_body
from killreport.sim.generator import build_universe
from killreport.sim.server import Simulator, run_simulator
from killreport.universe import repository
from killreport.universe.repository import Freshness
from killreport.universe.specs import spec_for
from tests.bus.test_crash import ROOT, worker_env

KILLREPORT = str(Path(sys.executable).with_name("killreport"))
FRESH = 5


async def killreport(settings: Settings, *args: str) -> str:
    """Run the CLI with the test's settings (without blocking the in-process simulator)."""
    process = await asyncio.create_subprocess_exec(
        KILLREPORT,
        *args,
        cwd=ROOT,
        env=worker_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    return out.decode()


async def _store(database: Database, kind: str, bodies: dict[int, Any], fresh: Freshness) -> None:
    spec = spec_for(kind)
    rows = [spec.row(entity_id, body) for entity_id, body in bodies.items()]
    async with database.transaction() as session:
        await repository.upsert_entities(session, spec, rows, [fresh] * len(rows))


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with run_simulator(SimConfig(seed=11, universe="tiny")) as simulator:
        yield simulator


async def test_queue_characters_fetches_details_only_of_moved_or_renamed(
    container: Container, sim: Simulator
) -> None:
    # given every player character of the universe stored as ESI shows it, details weeks
    # old (as on the 1st of a month), except 5 whose details are fresh
    universe = sim.universe
    now = datetime.now(UTC)
    players = sorted(c.character_id for c in universe.characters.values() if not c.npc)
    bodies = {
        i: character_body(
            universe.characters[i],
            universe.alliance_of(universe.characters[i].corporation_id),
            new_shape=False,
        )
        for i in players
    }
    fresh = set(players[:: len(players) // FRESH][:FRESH])
    await _store(
        container.database,
        "character",
        {i: b for i, b in bodies.items() if i not in fresh},
        Freshness(now - timedelta(days=35), now - timedelta(days=34)),
    )
    await _store(
        container.database,
        "character",
        {i: bodies[i] for i in fresh},
        Freshness(now, now + timedelta(hours=23)),
    )
    # and the simulator moves and renames 1% of characters and corporations (no time passes)
    changes = sim.advance(days=0, change_fraction=0.01)

    def now_in_sim(i: int) -> tuple[int, int | None, str]:
        character = universe.characters[i]
        alliance = universe.alliance_of(character.corporation_id)
        return character.corporation_id, alliance, character.name

    moved = {
        i
        for i, body in bodies.items()
        if (body["corporation_id"], body.get("alliance_id")) != now_in_sim(i)[:2]
    }
    renamed = {i for i, body in bodies.items() if body["name"] != now_in_sim(i)[2]}
    assert changes["characters_moved"] > 0 and len(moved) >= changes["characters_moved"]
    assert renamed and len(renamed) <= changes["renamed"]
    sim.reset_stats()

    # when `killreport queue characters` runs
    out = await killreport(container.settings, "queue", "characters")

    # then it asked ESI only its bulk routes, 1,000 characters per POST
    posts = -(-len(players) // 1000)
    assert sim.stats()["requests_by_route"] == {
        "esi POST /characters/affiliation": posts,
        "esi POST /universe/names": posts,
    }
    wanted = moved | renamed
    assert out.strip() == (
        f"checked {len(players)}, changed {len(moved)}, renamed {len(renamed)}, "
        f"queued {len(wanted)} characters"
    )
    # and stored the new affiliations and names at once
    async with container.database.reading() as session:
        stored = {
            row[0]: (row[1], row[2], row[3])
            for row in await session.execute(
                select(
                    Character.character_id,
                    Character.corporation_id,
                    Character.alliance_id,
                    Character.name,
                )
            )
        }
    assert stored == {i: now_in_sim(i) for i in players}
    # when the workers follow the queue to empty
    sim.reset_stats()
    await run_sync(container, "characters", poll_s=0.1, only=("queue character-corporations",))
    # then exactly the moved and renamed characters had their details fetched, not the
    # thousands whose details merely aged
    routes = sim.stats()["requests_by_route"]
    assert routes["esi GET /characters/{character_id}"] == len(wanted)

    # when the daily rolling refresh runs
    sim.reset_stats()
    out = await killreport(container.settings, "queue", "character-details")
    # then it queued the 3 % whose details are oldest (equally old here: lowest ids
    # first), none that are fresh or were just refreshed, and the workers fetched them
    due = -(-len(players) * 3 // 100)
    assert out.strip() == f"queued {due} characters for a detail refresh"
    await run_sync(container, "characters", poll_s=0.1, only=("queue character-corporations",))
    async with container.database.reading() as session:
        query = select(Character.character_id).where(Character.fetched_at > now)
        refreshed = set((await session.execute(query)).scalars())
    oldest = sorted(set(players) - wanted - fresh)[:due]
    assert refreshed == wanted | set(oldest)


async def test_snapshot_alliances_rerun_the_same_day_updates_the_row(settings: Settings) -> None:
    # given two alliances with three member corporations stored
    database = Database.from_url(settings.database_url)
    universe, _ = build_universe(11, "tiny", time.time())
    alliances = sorted(universe.active_alliance_ids())[:2]
    corporations = {
        c.corporation_id: corporation_body(c, new_shape=False)
        for c in universe.corporations.values()
        if c.alliance_id in alliances
    }
    now = datetime.now(UTC)
    fresh = Freshness(now, now + timedelta(hours=23))
    try:
        stored_alliances = {i: alliance_body(universe.alliances[i]) for i in alliances}
        await _store(database, "alliance", stored_alliances, fresh)
        await _store(database, "corporation", corporations, fresh)

        def expected() -> dict[int, tuple[int, int]]:
            return {
                a: (
                    sum(1 for b in corporations.values() if b.get("alliance_id") == a),
                    sum(
                        b["member_count"]
                        for b in corporations.values()
                        if b.get("alliance_id") == a
                    ),
                )
                for a in alliances
            }

        # when `killreport snapshot alliances` runs
        out = await killreport(settings, "snapshot", "alliances")
        # then today's row holds each alliance's corporation and member counts
        assert out.strip() == "alliance snapshot: 2 alliances"
        first = await _snapshots(database)
        today = datetime.now(UTC).date()
        assert {(a, day) for a, day in first} == {(a, today) for a in alliances}
        assert {a: v[:2] for (a, _), v in first.items()} == expected()

        # given a corporation gains 50 members later the same day
        corporation_id = min(corporations)
        corporations[corporation_id]["member_count"] += 50
        async with database.transaction() as session:
            await session.execute(
                update(Corporation)
                .where(Corporation.corporation_id == corporation_id)
                .values(member_count=corporations[corporation_id]["member_count"])
            )
        # when the snapshot runs again
        await killreport(settings, "snapshot", "alliances")
        # then the same rows were updated: still one per alliance for today, new counts
        second = await _snapshots(database)
        assert set(second) == set(first)
        assert {a: v[:2] for (a, _), v in second.items()} == expected()
        assert all(second[key][2] > first[key][2] for key in first)
    finally:
        await database.dispose()


async def _snapshots(database: Database) -> dict[tuple[int, date], tuple[int, int, datetime]]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(
                AllianceSnapshot.alliance_id,
                AllianceSnapshot.day,
                AllianceSnapshot.corporation_count,
                AllianceSnapshot.member_count,
                AllianceSnapshot.taken_at,
            )
        )
        return {(a, day): (corps, members, taken) for a, day, corps, members, taken in rows}
