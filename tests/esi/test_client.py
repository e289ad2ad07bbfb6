"""The typed client against the simulator: shapes, batching, paging, errors, headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from killreport.esi.errors import EsiForbidden, EsiInvalid, EsiNotFound, EsiUnauthorized
from killreport.sim import SimConfig, Simulator, run_simulator
from tests.esi.simulated import esi_stack

UNKNOWN_ID = 2_999_999_999
KILLMAIL_SCOPE = "esi-killmails.read_killmails.v1"
CORPORATION_KILLMAIL_SCOPE = "esi-killmails.read_corporation_killmails.v1"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with run_simulator(SimConfig(seed=4)) as running:
        yield running


async def test_entities_decode_into_typed_models(sim: Simulator) -> None:
    universe = sim.universe
    alliance_id = universe.active_alliance_ids()[0]
    corporation = next(c for c in universe.corporations.values() if c.alliance_id == alliance_id)
    character = next(
        c for c in universe.characters.values() if c.corporation_id == corporation.corporation_id
    )
    async with esi_stack(sim) as stack:
        esi = stack.client
        alliances = await esi.alliances()
        alliance = await esi.alliance(alliance_id)
        members = await esi.alliance_corporations(alliance_id)
        corp = await esi.corporation(corporation.corporation_id)
        char = await esi.character(character.character_id)
        status = await esi.status()
    assert alliance_id in alliances.value
    assert alliance.value.name == universe.alliances[alliance_id].name
    assert alliance.etag and alliance.expires_at and not alliance.unchanged
    assert corporation.corporation_id in members.value
    assert (corp.value.name, corp.value.alliance_id) == (corporation.name, alliance_id)
    assert corp.value.tax_rates is not None  # compatibility date 2026-08-18: the new shape
    assert (char.value.name, char.value.corporation_id) == (
        character.name,
        corporation.corporation_id,
    )
    assert status.value.players > 0
    # every request carried our User-Agent and compatibility date
    assert sim.stats()["requests_by_status"] == {"200": 6}


async def test_universe_routes_and_killmail(sim: Simulator) -> None:
    record = sim.killmail(sim.killmail_ids()[0])
    async with esi_stack(sim) as stack:
        esi = stack.client
        killmail = await esi.killmail(record.killmail_id, record.killmail_hash)
        system = await esi.system(killmail.value.solar_system_id)
        constellation = await esi.constellation(system.value.constellation_id)
        region = await esi.region(constellation.value.region_id)
        ship = await esi.type(killmail.value.victim.ship_type_id)
        group = await esi.group(ship.value.group_id)
        category = await esi.category(group.value.category_id)
        prices = await esi.market_prices()
        with pytest.raises(EsiInvalid) as invalid:
            await esi.killmail(record.killmail_id, "0" * 40)
    assert killmail.value.killmail_id == record.killmail_id
    assert killmail.value.solar_system_id == record.solar_system_id
    assert system.value.system_id in constellation.value.systems
    assert constellation.value.constellation_id in region.value.constellations
    assert ship.value.type_id in group.value.types
    assert group.value.group_id in category.value.groups
    assert len(prices.value) > 100
    assert invalid.value.status == 422


async def test_bulk_posts_batch_by_the_spec_limits(sim: Simulator) -> None:
    characters = list(sim.universe.characters.values())[:1500]
    async with esi_stack(sim) as stack:
        esi = stack.client
        affiliations = await esi.affiliations(c.character_id for c in characters)
        names = await esi.names(c.character_id for c in characters[:1200])
        ids = await esi.ids([characters[0].name, characters[1].name])
    assert {a.character_id: a.corporation_id for a in affiliations} == {
        c.character_id: c.corporation_id for c in characters
    }
    assert {n.id: n.name for n in names} == {c.character_id: c.name for c in characters[:1200]}
    assert {row.id for row in ids.characters} == {c.character_id for c in characters[:2]}
    routes = sim.stats()["requests_by_route"]
    assert routes["esi POST /characters/affiliation"] == 2
    assert routes["esi POST /universe/names"] == 2


async def test_client_errors_are_typed_and_never_retried(sim: Simulator) -> None:
    async with esi_stack(sim) as stack:
        esi = stack.client
        with pytest.raises(EsiNotFound) as not_found:
            await esi.character(UNKNOWN_ID)
        with pytest.raises(EsiUnauthorized):
            await esi.character_recent_killmails(min(sim.universe.directors), "not-a-token")
    assert not_found.value.status == 404
    assert "not found" in str(not_found.value).lower()
    assert sim.stats()["requests_by_status"] == {"404": 1, "401": 1}


async def test_recent_killmails_read_every_page_with_a_bearer_token(sim: Simulator) -> None:
    sso = sim.state.sso
    director_id = min(sim.universe.directors)
    director = sim.universe.characters[director_id]
    character_token = sso.issue_token(director_id, [KILLMAIL_SCOPE])["access_token"]
    corporation_token = sso.issue_token(director_id, [CORPORATION_KILLMAIL_SCOPE])["access_token"]
    async with esi_stack(sim) as stack:
        esi = stack.client
        mine = await esi.character_recent_killmails(director_id, character_token)
        corp = await esi.corporation_recent_killmails(
            director.corporation_id, corporation_token, director_id
        )
        with pytest.raises(EsiForbidden):
            await esi.corporation_recent_killmails(
                director.corporation_id, character_token, director_id
            )
    refs = {(ref.killmail_id, ref.killmail_hash) for ref in mine.value}
    assert all(sim.killmail(kid).killmail_hash == khash for kid, khash in refs)
    assert {ref.killmail_id for ref in mine.value} <= {ref.killmail_id for ref in corp.value}
    assert sim.stats()["tokens_spent_by_group"]["corp-killmail"] >= 2
