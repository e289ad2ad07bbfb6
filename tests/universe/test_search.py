"""Search: case-insensitive, exact before prefix before substring, ships first among types.

Runs on SQLite (folded-name B-trees) and PostgreSQL (pg_trgm GIN), and checks on
PostgreSQL that the plan uses the trigram index.
"""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text

from killreport.db.engine import Database
from killreport.db.tables import Alliance, Character, Corporation, Group, Type
from killreport.universe.search import SearchHit, SearchKind, search
from tests.stats.dataset import store_static

K = SearchKind


async def _store(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(
            insert(Character),
            [
                {"character_id": 2_100_000_001, "name": "Rifter Pilot"},
                {"character_id": 2_100_000_002, "name": "rifter"},
                {"character_id": 2_100_000_003, "name": "Old Rifter Fan"},
                {"character_id": 2_100_000_004, "name": "100% Pilot_x"},
            ],
        )
        await session.execute(
            insert(Corporation),
            [
                {"corporation_id": 98000001, "name": "Riftworks", "ticker": "RIFT"},
                {"corporation_id": 98000002, "name": "Deep Core Mining", "ticker": "RIFTE"},
            ],
        )
        await session.execute(
            insert(Alliance),
            [{"alliance_id": 99000001, "name": "Goonswarm Federation", "ticker": "CONDI"}],
        )
        # a non-ship type named like a ship, to rank below the ships
        await session.execute(
            insert(Group), [{"group_id": 105, "name": "Frigate Blueprint", "category_id": 9}]
        )
        await session.execute(
            insert(Type), [{"type_id": 691, "name": "Rifter Blueprint", "group_id": 105}]
        )


def hits(found: list[SearchHit]) -> list[tuple[SearchKind, int]]:
    return [(hit.kind, hit.id) for hit in found]


async def test_exact_then_prefix_then_substring_case_insensitive(database: Database) -> None:
    # given characters, corporations, types and places named around "rifter"
    await _store(database)
    await store_static(database)
    async with database.transaction() as session:
        # when "RIFTER" is searched among characters and item types
        found = await search(session, "RIFTER", [K.CHARACTER, K.ITEM_TYPE], first=10)
        # then the exact names come first (the character, then the ship), then prefixes
        # (ships before the blueprint), then substrings, kinds in SearchKind's order
        assert hits(found) == [
            (K.CHARACTER, 2_100_000_002),
            (K.ITEM_TYPE, 587),
            (K.CHARACTER, 2_100_000_001),
            (K.ITEM_TYPE, 691),
            (K.CHARACTER, 2_100_000_003),
            # the corpus' Drifter NPCs (category Entity) hold "rifter" too, by name
            (K.ITEM_TYPE, 47959),
            (K.ITEM_TYPE, 47956),
        ]
        assert found[1].name == "Rifter"
        # tickers match exactly or by prefix, never inside; names anywhere
        corporations = await search(session, "rift", [K.CORPORATION])
        assert [(h.id, h.ticker) for h in corporations] == [(98000001, "RIFT"), (98000002, "RIFTE")]
        alliance = await search(session, "condi", [K.ALLIANCE])
        assert [(h.name, h.ticker) for h in alliance] == [("Goonswarm Federation", "CONDI")]
        assert await search(session, "ondi", [K.ALLIANCE]) == []
        # places: system, constellation, region, every kind at once; `first` cuts the list
        assert hits(await search(session, "jita")) == [(K.SOLAR_SYSTEM, 30000142)]
        assert hits(await search(session, "the forge")) == [(K.REGION, 10000002)]
        assert hits(await search(session, "kimo", [K.CONSTELLATION])) == [
            (K.CONSTELLATION, 20000020)
        ]
        assert len(await search(session, "r", first=3)) == 3
        # LIKE's wildcards are plain characters
        assert hits(await search(session, "0% pilot_", [K.CHARACTER])) == [
            (K.CHARACTER, 2_100_000_004)
        ]
        assert await search(session, "%", [K.CHARACTER]) != []
        assert await search(session, "_", [K.ALLIANCE]) == []
        assert await search(session, "   ") == []


async def test_bad_arguments_are_refused(database: Database) -> None:
    async with database.transaction() as session:
        with pytest.raises(ValueError, match="first"):
            await search(session, "x", first=0)
        with pytest.raises(ValueError, match="longer"):
            await search(session, "x" * 101)


async def test_postgresql_plans_use_the_trigram_index(postgres_url: str) -> None:
    # given characters, and a planner told to avoid table scans where any index serves
    database = Database.from_url(postgres_url)
    try:
        async with database.transaction() as session:
            await session.execute(
                insert(Character),
                [{"character_id": 2_000_000_000 + n, "name": f"Pilot {n}"} for n in range(500)],
            )
        async with database.transaction() as session:
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                row[0]
                for row in await session.execute(
                    text(
                        "EXPLAIN SELECT character_id FROM characters "
                        "WHERE name_folded LIKE lower('%ot 499%') ESCAPE '\\'"
                    )
                )
            )
        # then the substring match walks ix_characters_name_folded
        assert "ix_characters_name_folded" in plan, plan
    finally:
        await database.dispose()
