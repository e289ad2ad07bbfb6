"""The universe: deterministic per seed, NPC ranges, and change over simulated time."""

from __future__ import annotations

import aiohttp

from killreport.sim import Simulator
from killreport.sim.corpus import real_killmails
from killreport.sim.generator import FIRST_CHARACTER_ID, SIZES, build_universe
from killreport.sim.universe import NPC_CHARACTER_IDS, NPC_CORPORATION_IDS


def test_same_seed_same_universe() -> None:
    first, first_mails = build_universe(3, "tiny", 1_790_000_000.0)
    second, second_mails = build_universe(3, "tiny", 1_790_000_000.0)
    other, _ = build_universe(4, "tiny", 1_790_000_000.0)
    assert first.characters == second.characters and first.corporations == second.corporations
    assert [first_mails.body(r) for r in first_mails.records.values()] == [
        second_mails.body(r) for r in second_mails.records.values()
    ]
    assert [c.name for c in first.characters.values()] != [
        c.name for c in other.characters.values()
    ]
    counts = first.counts()
    assert (counts["alliances"], counts["characters"]) == (20, 2000)
    npc_corps = [c for c in first.corporations.values() if c.npc]
    assert npc_corps and all(c.corporation_id in NPC_CORPORATION_IDS for c in npc_corps)
    assert all(
        c.character_id not in NPC_CHARACTER_IDS for c in first.characters.values() if not c.npc
    )


def test_generated_entities_come_on_top_of_the_real_ones_and_all_are_discoverable() -> None:
    # given the real killmails' entities alone, and the small universe built on them
    real, _ = build_universe(3, "tiny", 1_790_000_000.0)
    universe, store = build_universe(7, "small", 1_790_000_000.0)
    size = SIZES["small"]
    parties = [p for m in real_killmails() for p in (m.esi["victim"], *m.esi["attackers"])]
    real_alliances = {p["alliance_id"] for p in parties if "alliance_id" in p}
    real_characters = {p["character_id"] for p in parties if "character_id" in p}
    players = [c for c in universe.characters.values() if not c.npc]
    corporations = [c for c in universe.corporations.values() if not c.npc]
    # then every size count is generated on top of the real entities (plus a founder for
    # each of the 13 real corporations no killmail names a member of)
    generated = [a for a in universe.alliances.values() if a.alliance_id not in real_alliances]
    assert len(generated) == size.alliances and len(real.alliances) == size.alliances
    assert real_characters <= set(universe.characters)
    assert sum(1 for c in universe.characters if c >= FIRST_CHARACTER_ID) == size.characters + 13
    # and alliances are led by member corporations, corporations by member characters
    for alliance in universe.alliances.values():
        members = universe.alliance_members(alliance.alliance_id)
        assert alliance.executor_corporation_id in members
        assert alliance.creator_corporation_id in members
        assert alliance.creator_id == universe.corporations[alliance.creator_corporation_id].ceo_id
    for corporation in corporations:
        assert universe.characters[corporation.ceo_id].corporation_id == corporation.corporation_id
    # and most generated corporations are in an alliance, as in EVE
    generated_ids = range(FIRST_CHARACTER_ID, FIRST_CHARACTER_ID + size.characters)
    fresh = [c for c in corporations if c.ceo_id in generated_ids]
    allied = sum(1 for c in fresh if c.alliance_id is not None) / len(fresh)
    assert len(fresh) == size.corporations and 0.6 <= allied <= 0.8
    # and every player character is a victim or attacker of at least one killmail
    assert all(c.character_id in store.by_character for c in players)
    assert len(store.records) >= size.killmails + 108
    # and no killmail names anyone twice
    for record in store.records.values():
        named = [p[0] for p in (record.victim, *record.attackers) if p[0] is not None]
        assert len(named) == len(set(named))


async def test_advance_changes_some_entities_and_their_etags(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    esi = sim.endpoints["esi"]
    universe = sim.universe
    alliances = universe.active_alliance_ids()
    characters = [c.character_id for c in universe.characters.values() if not c.npc][:400]

    async def etags(path: str, ids: list[int]) -> dict[int, tuple[int, str | None]]:
        found = {}
        for entity_id in ids:
            async with http.get(f"{esi}/{path}/{entity_id}/") as response:
                found[entity_id] = (response.status, response.headers.get("ETag"))
        return found

    before_alliances = await etags("alliances", alliances)
    assert all(status == 200 for status, _ in before_alliances.values())
    before_characters = await etags("characters", characters)
    affiliations_before = {
        c: (universe.characters[c].corporation_id, universe.characters[c].name) for c in characters
    }
    # when ten days pass and 5 % of everything changes
    changes = sim.advance(days=10, change_fraction=0.05)
    after_alliances = await etags("alliances", alliances)
    after_characters = await etags("characters", characters)
    async with http.get(f"{sim.url}/_sim/universe") as response:
        counts = await response.json()
    # then closed alliances are 404, changed characters have new ETags, unchanged keep theirs
    closed = [a for a in alliances if universe.alliances[a].closed]
    assert changes["alliances_closed"] == len(closed) > 0
    assert all(after_alliances[a][0] == 404 for a in closed)
    changed = {
        c
        for c in characters
        if affiliations_before[c]
        != (universe.characters[c].corporation_id, universe.characters[c].name)
    }
    for character_id in characters:
        same = before_characters[character_id][1] == after_characters[character_id][1]
        if character_id in changed:
            assert not same
    assert any(before_characters[c] == after_characters[c] for c in characters if c not in changed)
    assert counts["active_alliances"] == len(alliances) - len(closed)
