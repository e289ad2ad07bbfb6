"""`sync all` against the simulator: every reachable entity stored right; a day later, only
the changes are fetched in full, the unchanged rest costs 304s or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from killreport import container as container_module
from killreport.cli.sync import run_sync
from killreport.container import Container
from killreport.db.tables import Alliance, Character, Corporation
from killreport.settings import Settings
from killreport.sim.config import SimConfig
from killreport.sim.server import Simulator, run_simulator


def _date(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with run_simulator(SimConfig(seed=7, universe="small")) as simulator:
        yield simulator


@pytest.fixture
async def container(settings: Settings, sim: Simulator) -> AsyncIterator[Container]:
    configured = settings.model_copy(
        update={"esi_url": sim.endpoints["esi"], "esi_max_rps": 400, "esi_max_concurrency": 40}
    )
    async with container_module.build(configured) as built:
        # ESI's Expires headers are in simulated time: the client's cache reads that clock.
        built.esi.transport.clock = lambda: datetime.fromtimestamp(sim.state.clock.now(), UTC)
        yield built


async def _stored(container: Container, table: Any) -> dict[int, Any]:
    async with container.database.transaction() as session:
        rows = (await session.execute(select(table))).scalars().all()
    key = {Alliance: "alliance_id", Corporation: "corporation_id", Character: "character_id"}[table]
    return {getattr(row, key): row for row in rows}


async def _assert_matches_simulator(container: Container, sim: Simulator) -> None:
    universe = sim.universe
    alliances = await _stored(container, Alliance)
    corporations = await _stored(container, Corporation)
    characters = await _stored(container, Character)
    # every open alliance is stored with ESI's fields; closed ones are kept, marked deleted
    for alliance in universe.alliances.values():
        if alliance.closed:
            assert (
                alliance.alliance_id not in alliances or alliances[alliance.alliance_id].deleted_at
            )
            continue
        row = alliances[alliance.alliance_id]
        assert row.deleted_at is None
        assert (row.name, row.ticker) == (alliance.name, alliance.ticker)
        assert row.executor_corporation_id == alliance.executor_corporation_id
        assert (row.creator_id, row.creator_corporation_id) == (
            alliance.creator_id,
            alliance.creator_corporation_id,
        )
        assert row.date_founded == _date(alliance.date_founded)
    # every member of an open alliance is stored, and every stored corporation is current
    members = {
        c.corporation_id
        for c in universe.corporations.values()
        if c.alliance_id is not None and not universe.alliances[c.alliance_id].closed
    }
    assert members <= set(corporations)
    for corporation_id, row in corporations.items():
        corporation = universe.corporations[corporation_id]
        assert (row.name, row.ticker, row.member_count) == (
            corporation.name,
            corporation.ticker,
            corporation.member_count,
        )
        assert (row.ceo_id, row.creator_id, row.alliance_id) == (
            corporation.ceo_id,
            corporation.creator_id,
            corporation.alliance_id,
        )
        assert row.tax_rate == pytest.approx(corporation.tax_rate)
        assert (row.home_station_id, row.war_eligible) == (
            corporation.home_station_id,
            corporation.war_eligible,
        )
    # every character the stored corporations and alliances name is stored and current
    named = {row.ceo_id for row in corporations.values()} | {
        row.creator_id for row in alliances.values() if row.deleted_at is None
    }
    assert {c for c in named if c and c >= 90_000_000} <= set(characters)
    for character_id, row in characters.items():
        character = universe.characters[character_id]
        assert (row.name, row.corporation_id) == (character.name, character.corporation_id)
        assert row.alliance_id == universe.alliance_of(character.corporation_id)
        assert row.birthday == _date(character.birthday)
        assert (row.gender, row.race_id, row.bloodline_id) == (
            character.gender,
            character.race_id,
            character.bloodline_id,
        )
        assert row.security_status == pytest.approx(character.security_status)


async def test_sync_all_stores_the_universe_then_only_its_changes(
    container: Container, sim: Simulator
) -> None:
    # given an empty database and the small simulated universe
    # when `sync all` runs
    first = await run_sync(container, "all", poll_s=0.1)
    # then every reachable alliance, corporation and character is stored correctly
    assert first.handled
    await _assert_matches_simulator(container, sim)
    # given a day passes and 1% of the universe changes
    changes = sim.advance(days=1, change_fraction=0.01)
    sim.reset_stats()
    # when `sync all` runs again
    await run_sync(container, "all", poll_s=0.1)
    # then exactly those changes are stored
    await _assert_matches_simulator(container, sim)
    # and the unchanged rest cost conditional requests answered 304
    stats = sim.stats()
    by_status = {int(k): v for k, v in stats["requests_by_status"].items()}
    assert by_status.get(304, 0) > 0
    full = by_status.get(200, 0)
    print("changes", changes, "requests", by_status, stats["requests_by_route"])
    assert full < by_status[304]
