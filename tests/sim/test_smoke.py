"""The simulator starts, publishes its endpoints and serves an ESI entity."""

from __future__ import annotations

import aiohttp

from killreport.sim import Simulator


async def test_endpoints_and_an_alliance(sim: Simulator, http: aiohttp.ClientSession) -> None:
    # given a running simulator
    alliance_id = sim.universe.active_alliance_ids()[0]
    # when a client reads the endpoint map and an alliance
    async with http.get(f"{sim.url}/_sim/endpoints") as response:
        endpoints = await response.json()
    async with http.get(f"{endpoints['esi']}/alliances/{alliance_id}/") as response:
        body = await response.json()
    # then the map matches the handle and the alliance is the universe's
    assert endpoints == sim.endpoints
    assert set(endpoints) == {"esi", "r2z2", "zkb_api", "sso"}
    assert body["name"] == sim.universe.alliances[alliance_id].name
    assert sim.stats()["requests_by_status"] == {"200": 1}
