"""Killmails: real ones verbatim from ESI, R2Z2 publishing, the zKillboard API, recent routes."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson

from killreport.sim import SimConfig, Simulator, run_simulator
from killreport.sim.corpus import real_killmails

ZKB_KEYS = {
    "locationID",
    "hash",
    "fittedValue",
    "droppedValue",
    "destroyedValue",
    "totalValue",
    "totalDroppableValue",
    "points",
    "npc",
    "solo",
    "awox",
    "labels",
}


async def test_real_killmails_come_back_exactly(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    # given the 108 recorded killmails
    mails = real_killmails()
    esi = sim.endpoints["esi"]

    async def fetch(killmail_id: int, hash_: str) -> bytes:
        async with http.get(f"{esi}/killmails/{killmail_id}/{hash_}/") as response:
            assert response.status == 200
            return await response.read()

    # when each is fetched from ESI
    bodies = await asyncio.gather(*(fetch(m.killmail_id, m.killmail_hash) for m in mails))
    # then each body equals the recorded one, keys in the same order
    assert len(bodies) == 108
    for mail, body in zip(mails, bodies, strict=True):
        assert body == orjson.dumps(mail.esi)


async def test_r2z2_publishes_in_sequence(sim: Simulator, http: aiohttp.ClientSession) -> None:
    r2z2 = sim.endpoints["r2z2"]
    async with http.get(f"{r2z2}/ephemeral/sequence.json") as response:
        start = (await response.json())["sequence"]
    async with http.get(f"{r2z2}/ephemeral/{start}.json") as response:
        named = response.status
    async with http.get(f"{r2z2}/ephemeral/{start + 1}.json") as response:
        before = response.status
    # when three new killmails and one republished one are published
    sequences = sim.publish_killmails(3)
    sequences += sim.publish_killmails(0, republish=1)
    async with http.get(f"{r2z2}/ephemeral/{start + 1}.json") as response:
        item = await response.json()
    async with http.get(f"{r2z2}/ephemeral/{sequences[-1]}.json") as response:
        again = await response.json()
    async with http.get(
        f"{sim.endpoints['esi']}/killmails/{item['killmail_id']}/{item['hash']}/"
    ) as response:
        from_esi = await response.json()
    # then, as on R2Z2, sequence.json named an entry that exists even before the first
    # publish; the next was 404 until published; items carry ESI body and zkb, ESI serves them
    assert named == 200
    assert before == 404
    assert sequences == [start + 1, start + 2, start + 3, start + 4]
    assert item["sequence_id"] == start + 1 and item["esi"] == from_esi
    assert set(item["zkb"]) >= ZKB_KEYS | {"attackerCount", "href"}
    assert again["killmail_id"] in {item["killmail_id"]} | {
        sim.state.feed.published[s][0] for s in sequences[:3]
    } | {sim.state.feed.published[start][0]}


async def test_r2z2_manners(sim: Simulator) -> None:
    r2z2 = sim.endpoints["r2z2"]
    async with (
        aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as bare,
        bare.get(f"{r2z2}/ephemeral/sequence.json") as response,
    ):
        anonymous = response.status
    async with aiohttp.ClientSession(headers={"User-Agent": "test"}) as http:
        statuses = []
        for _ in range(21):
            async with http.get(f"{r2z2}/ephemeral/sequence.json") as response:
                statuses.append(response.status)
                retry_after = response.headers.get("Retry-After")
    # then no User-Agent is 403 and the 21st request in a second is 429
    assert anonymous == 403
    assert statuses[:20] == [200] * 20 and statuses[20] == 429 and retry_after == "1"


async def test_zkb_api_pages_and_rules(http: aiohttp.ClientSession) -> None:
    async with run_simulator(SimConfig(universe="tiny", zkb_api_max_requests=100)) as sim:
        store = sim.state.store
        character_id = max(store.by_character, key=lambda c: len(store.by_character[c]))
        api = sim.endpoints["zkb_api"]
        async with http.get(f"{api}/characterID/{character_id}/page/1/") as response:
            rows = await response.json()
            cache_control = response.headers["Cache-Control"]
        async with http.get(f"{api}/losses/characterID/{character_id}/") as response:
            losses = await response.json()
        async with http.get(f"{api}/characterID/{character_id}/page/1") as response:
            no_slash = (response.status, response.reason, await response.read())
        async with http.get(f"{api}/characterID/{character_id}/?page=2") as response:
            query = response.status
        async with http.get(f"{api}/page/2/") as response:
            no_entity = await response.json()
    ids = [row["killmail_id"] for row in rows]
    assert ids == sorted(store.by_character[character_id], reverse=True)[:200]
    assert all(set(row["zkb"]) >= ZKB_KEYS - {"locationID"} and "victim" in row for row in rows)
    assert all(row["victim"].get("character_id") == character_id for row in losses)
    assert cache_control == "public, max-age=3600"
    assert no_slash == (200, "Missing trailing slash", b"")
    assert query == 403
    assert "error" in no_entity


async def test_recent_killmails_need_scope_and_role(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    universe = sim.universe
    store = sim.state.store
    # given the busiest director of a corporation that has a member without the role
    members = {
        c.corporation_id: c.character_id
        for c in universe.characters.values()
        if c.character_id not in universe.directors
    }
    director = max(
        (d for d in universe.directors if universe.characters[d].corporation_id in members),
        key=lambda c: len(store.by_character.get(c, ())),
    )
    corporation_id = universe.characters[director].corporation_id
    member = members[corporation_id]
    esi = sim.endpoints["esi"]
    scope = "esi-killmails.read_killmails.v1"
    corp_scope = "esi-killmails.read_corporation_killmails.v1"

    async def get(
        path: str, character_id: int, scopes: list[str]
    ) -> tuple[int, object, str | None]:
        token = sim.issue_token(character_id, scopes)["access_token"]
        async with http.get(esi + path, headers={"Authorization": f"Bearer {token}"}) as response:
            return response.status, await response.json(), response.headers.get("X-Pages")

    own = await get(f"/characters/{director}/killmails/recent", director, [scope])
    other = await get(f"/characters/{member}/killmails/recent", director, [scope])
    no_scope = await get(f"/characters/{director}/killmails/recent", director, [corp_scope])
    corp = await get(f"/corporations/{corporation_id}/killmails/recent", director, [corp_scope])
    not_director = await get(
        f"/corporations/{corporation_id}/killmails/recent", member, [corp_scope]
    )
    assert own[0] == 200 and own[2] is not None
    assert isinstance(own[1], list) and all(
        set(row) == {"killmail_hash", "killmail_id"} for row in own[1]
    )
    assert other[0] == 403 and no_scope[0] == 403
    assert corp[0] == 200
    assert not_director == (403, {"error": "Character does not have required role(s)"}, None)
