"""Batched loaders and keyset member lists over stored entities, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert

from killreport.db.engine import Database
from killreport.db.tables import Alliance, Character, Corporation
from killreport.universe.lookups import (
    BadCursor,
    MemberKind,
    MemberOrder,
    PageSizeError,
    list_members,
    load_alliances,
    load_characters,
    load_constellations,
    load_corporations,
    load_groups,
    load_regions,
    load_solar_systems,
    load_types,
)
from tests.stats.dataset import store_static

ALLIANCE = 99000010
CORPORATIONS = [
    # id, name, ticker, members, alliance
    (98000001, "Zeta Works", "ZETA", 30, ALLIANCE),
    (98000002, "alpha industries", "ALPH", 30, ALLIANCE),
    (98000003, "Beta Corp", "BETA", 5, ALLIANCE),
    (98000004, "Lone Corp", "LONE", 100, None),
]
# 205 pilots of 98000001 named "Pilot 000".."Pilot 204", ids descending by name
PILOTS = [(2_100_000_000 - n, f"Pilot {n:03d}") for n in range(205)]


async def _store(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(
            insert(Alliance),
            [
                {
                    "alliance_id": ALLIANCE,
                    "name": "Test Alliance Please Ignore",
                    "ticker": "TEST",
                    "executor_corporation_id": 98000001,
                    "creator_id": PILOTS[0][0],
                    "creator_corporation_id": 98000001,
                    "member_count": 65,
                    "corporation_count": 3,
                }
            ],
        )
        await session.execute(
            insert(Corporation),
            [
                {
                    "corporation_id": cid,
                    "name": name,
                    "ticker": ticker,
                    "member_count": members,
                    "alliance_id": alliance,
                    "ceo_id": PILOTS[0][0],
                }
                for cid, name, ticker, members, alliance in CORPORATIONS
            ],
        )
        await session.execute(
            insert(Character),
            [
                {
                    "character_id": cid,
                    "name": name,
                    "corporation_id": 98000001,
                    "alliance_id": ALLIANCE,
                }
                for cid, name in PILOTS
            ]
            + [{"character_id": 2_000_000_001, "name": None, "corporation_id": 98000004}],
        )


def _count_statements(database: Database) -> list[str]:
    seen: list[str] = []

    def before(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        # Transaction control (SQLite's BEGIN IMMEDIATE) is not a query.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", before)
    return seen


async def test_loaders_resolve_every_kind_in_one_statement_each(database: Database) -> None:
    # given stored alliances, corporations, characters and the static types and map
    await _store(database)
    await store_static(database)
    seen = _count_statements(database)
    async with database.transaction() as session:
        start = len(seen)
        characters = await load_characters(session, [cid for cid, _ in PILOTS] + [1])
        assert len(seen) - start == 1
        corporations = await load_corporations(session, [98000001, 98000004, 7])
        alliances = await load_alliances(session, [ALLIANCE])
        types = await load_types(session, [587, 670, 999_999_999])
        groups = await load_groups(session, [25])
        systems = await load_solar_systems(session, [30000142])
        constellations = await load_constellations(session, [20000020])
        regions = await load_regions(session, [10000002])
        empty = await load_regions(session, [])
        # when eight kinds are loaded (one with nothing to load), then eight statements ran
        assert len(seen) - start == 8
    # then every known id is there with its fields, and the unknown ones are absent
    assert len(characters) == 205 and 1 not in characters
    assert characters[PILOTS[7][0]].name == "Pilot 007"
    assert characters[PILOTS[7][0]].alliance_id == ALLIANCE
    assert set(corporations) == {98000001, 98000004}
    assert corporations[98000001].ticker == "ZETA" and corporations[98000001].ceo_id == PILOTS[0][0]
    assert alliances[ALLIANCE].executor_corporation_id == 98000001
    assert (alliances[ALLIANCE].member_count, alliances[ALLIANCE].corporation_count) == (65, 3)
    # the static snapshot's Rifter (587) is a Frigate (group 25) in the Ship category (6)
    rifter = types[587]
    assert (
        rifter.name,
        rifter.group_id,
        rifter.group_name,
        rifter.category_id,
        rifter.category_name,
    ) == (
        "Rifter",
        25,
        "Frigate",
        6,
        "Ship",
    )
    assert set(types) == {587, 670}
    assert (groups[25].name, groups[25].category_name) == ("Frigate", "Ship")
    jita = systems[30000142]
    assert (jita.name, jita.constellation_name, jita.region_id, jita.region_name) == (
        "Jita",
        "Kimotoro",
        10000002,
        "The Forge",
    )
    assert jita.security_status == pytest.approx(0.9459, abs=1e-3)
    assert (constellations[20000020].name, constellations[20000020].region_name) == (
        "Kimotoro",
        "The Forge",
    )
    assert regions[10000002].name == "The Forge" and empty == {}


async def test_member_lists_walk_every_page_exactly_once(database: Database) -> None:
    await _store(database)
    async with database.transaction() as session:
        # when the alliance's pilots are walked by name, 100 a page
        names: list[str] = []
        after = None
        pages = 0
        while True:
            page = await list_members(
                session, MemberKind.CHARACTER, alliance_id=ALLIANCE, first=100, after=after
            )
            names += [item.name for item in page.items]
            pages += 1
            if not page.has_next_page:
                break
            after = page.end_cursor
        # then all 205 come once, in name order, over three pages
        assert names == [name for _, name in PILOTS] and pages == 3
        # by id: ascending ids, so the last pilots by name come first
        by_id = await list_members(
            session, MemberKind.CHARACTER, corporation_id=98000001, order=MemberOrder.ID, first=2
        )
        assert [item.id for item in by_id.items] == [PILOTS[-1][0], PILOTS[-2][0]]
        # corporations by members, ties by id, across a page boundary
        first = await list_members(
            session, MemberKind.CORPORATION, order=MemberOrder.MEMBER_COUNT_DESC, first=2
        )
        second = await list_members(
            session,
            MemberKind.CORPORATION,
            order=MemberOrder.MEMBER_COUNT_DESC,
            first=2,
            after=first.end_cursor,
        )
        assert [c.id for c in first.items + second.items] == [
            98000004,
            98000001,
            98000002,
            98000003,
        ]
        assert not second.has_next_page
        # a cursor of one order is no cursor of another
        with pytest.raises(BadCursor):
            await list_members(
                session, MemberKind.CORPORATION, order=MemberOrder.NAME, after=first.end_cursor
            )
        # the alliance's corporations by name, case-insensitive; searched by part of a name
        members = await list_members(session, MemberKind.CORPORATION, alliance_id=ALLIANCE)
        assert [c.name for c in members.items] == ["alpha industries", "Beta Corp", "Zeta Works"]
        found = await list_members(session, MemberKind.CORPORATION, search="CORP")
        assert [c.id for c in found.items] == [98000003, 98000004]
        pilots = await list_members(session, MemberKind.CHARACTER, search="ot 20", first=10)
        assert [c.name for c in pilots.items] == [
            "Pilot 200",
            "Pilot 201",
            "Pilot 202",
            "Pilot 203",
            "Pilot 204",
        ]


async def test_bad_arguments_are_refused(database: Database) -> None:
    async with database.transaction() as session:
        with pytest.raises(PageSizeError):
            await list_members(session, MemberKind.CHARACTER, first=101)
        with pytest.raises(PageSizeError):
            await list_members(session, MemberKind.CHARACTER, first=0)
        with pytest.raises(BadCursor):
            await list_members(session, MemberKind.CHARACTER, after="not-a-cursor")
        id_cursor = (
            await list_members(session, MemberKind.ALLIANCE, order=MemberOrder.ID, first=1)
        ).end_cursor
        assert id_cursor is None  # nothing stored, no cursor
        with pytest.raises(ValueError, match="member count"):
            await list_members(session, MemberKind.CHARACTER, order=MemberOrder.MEMBER_COUNT_DESC)
        with pytest.raises(ValueError, match="alliance_id"):
            await list_members(session, MemberKind.ALLIANCE, alliance_id=1)
