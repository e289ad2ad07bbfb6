"""Every ESI route's JSON body validates against the OpenAPI spec of its compatibility date."""

from __future__ import annotations

from typing import Any

import aiohttp
import jsonschema
import pytest

from killreport.sim import Simulator
from killreport.sim.spec import CURRENT_SPEC, PREVIOUS_SPEC, response_schema

CHARACTER_SCOPE = "esi-killmails.read_killmails.v1"
CORPORATION_SCOPE = "esi-killmails.read_corporation_killmails.v1"


def _calls(sim: Simulator) -> list[tuple[str, str, str, Any, dict[str, str]]]:
    """(operation key, method, path, JSON body, extra headers) for every served route."""
    universe = sim.universe
    alliance_id = universe.active_alliance_ids()[0]
    director = min(universe.directors)
    corporation_id = universe.characters[director].corporation_id
    character_id = director
    killmail_id = sim.killmail_ids()[-1]
    record = sim.killmail(killmail_id)
    token = sim.issue_token(director, [CHARACTER_SCOPE, CORPORATION_SCOPE])["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    return [
        ("GET /alliances", "GET", "/alliances", None, {}),
        ("GET /alliances/{alliance_id}", "GET", f"/alliances/{alliance_id}", None, {}),
        (
            "GET /alliances/{alliance_id}/corporations",
            "GET",
            f"/alliances/{alliance_id}/corporations",
            None,
            {},
        ),
        ("GET /corporations/{corporation_id}", "GET", f"/corporations/{corporation_id}", None, {}),
        ("GET /corporations/{corporation_id}", "GET", "/corporations/1000035", None, {}),
        ("GET /characters/{character_id}", "GET", f"/characters/{character_id}", None, {}),
        ("POST /characters/affiliation", "POST", "/characters/affiliation", [character_id], {}),
        (
            "POST /universe/names",
            "POST",
            "/universe/names",
            [character_id, corporation_id, 587, 30000142],
            {},
        ),
        (
            "POST /universe/ids",
            "POST",
            "/universe/ids",
            ["Jita", "Rifter", universe.characters[character_id].name],
            {},
        ),
        ("GET /universe/types/{type_id}", "GET", "/universe/types/587", None, {}),
        ("GET /universe/groups/{group_id}", "GET", "/universe/groups/25", None, {}),
        ("GET /universe/categories/{category_id}", "GET", "/universe/categories/6", None, {}),
        ("GET /universe/systems/{system_id}", "GET", "/universe/systems/30000142", None, {}),
        (
            "GET /universe/constellations/{constellation_id}",
            "GET",
            "/universe/constellations/20000020",
            None,
            {},
        ),
        ("GET /universe/regions/{region_id}", "GET", "/universe/regions/10000002", None, {}),
        (
            "GET /killmails/{killmail_id}/{killmail_hash}",
            "GET",
            f"/killmails/{killmail_id}/{record.killmail_hash}",
            None,
            {},
        ),
        (
            "GET /characters/{character_id}/killmails/recent",
            "GET",
            f"/characters/{character_id}/killmails/recent",
            None,
            bearer,
        ),
        (
            "GET /corporations/{corporation_id}/killmails/recent",
            "GET",
            f"/corporations/{corporation_id}/killmails/recent",
            None,
            bearer,
        ),
        ("GET /markets/prices", "GET", "/markets/prices", None, {}),
        ("GET /status", "GET", "/status", None, {}),
    ]


@pytest.mark.parametrize(
    ("compatibility_date", "spec_version"),
    [
        ("2026-08-18", CURRENT_SPEC),
        ("2025-12-16", PREVIOUS_SPEC),
    ],
)
async def test_every_route_validates_against_its_spec(
    sim: Simulator, http: aiohttp.ClientSession, compatibility_date: str, spec_version: str
) -> None:
    # given every served route with valid arguments
    calls = _calls(sim)
    seen = set()
    for key, method, path, body, headers in calls:
        # when it is called with the compatibility date
        async with http.request(
            method,
            sim.endpoints["esi"] + path,
            json=body,
            headers={"X-Compatibility-Date": compatibility_date, **headers},
        ) as response:
            payload = await response.json()
            status = response.status
        # then the body is a 200 that validates against that date's spec
        assert status == 200, (key, payload)
        jsonschema.validate(
            payload, response_schema(key, spec_version), cls=jsonschema.Draft202012Validator
        )
        seen.add(key)
    assert len(seen) == 19


async def test_compatibility_date_switches_and_is_echoed(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    # given a player corporation and a character
    corporation_id = next(c.corporation_id for c in sim.universe.corporations.values() if not c.npc)
    character_id = sim.universe.corporations[corporation_id].ceo_id
    esi = sim.endpoints["esi"]
    shapes = {}
    for date in ("2026-07-21", "2026-07-20", None):
        headers = {"X-Compatibility-Date": date} if date else {}
        async with http.get(f"{esi}/corporations/{corporation_id}", headers=headers) as response:
            shapes[date] = (response.headers["X-Compatibility-Date"], set(await response.json()))
    async with http.get(
        f"{esi}/characters/{character_id}", headers={"X-Compatibility-Date": "2026-06-09"}
    ) as response:
        new_character = (response.headers["X-Compatibility-Date"], set(await response.json()))
    async with http.get(
        f"{esi}/v5/characters/{character_id}/?datasource=tranquility",
        headers={"X-Compatibility-Date": "2026-06-08"},
    ) as response:
        old_character = (response.headers["X-Compatibility-Date"], set(await response.json()))
    # then corporations have tax_rates from 2026-07-21, tax_rate before; the change date is echoed
    assert shapes["2026-07-21"][0] == "2026-07-21" and "tax_rates" in shapes["2026-07-21"][1]
    assert shapes["2026-07-20"][0] == "2020-01-01" and "tax_rate" in shapes["2026-07-20"][1]
    assert shapes[None][0] == "2020-01-01" and "tax_rates" not in shapes[None][1]
    assert new_character[0] == "2026-06-09" and "achievement_score" in new_character[1]
    assert old_character[0] == "2020-01-01" and "achievement_score" not in old_character[1]


ERROR_CASES: list[tuple[str, str, Any, int, str]] = [
    ("GET", "/alliances/1", None, 404, "Alliance not found"),
    ("GET", "/characters/1", None, 404, "Character not found"),
    ("GET", "/corporations/1", None, 404, "Corporation not found"),
    ("GET", "/universe/types/1", None, 404, "Type not found"),
    ("GET", "/characters/abc", None, 400, "Invalid character_id"),
    (
        "GET",
        "/killmails/435341/0000000000000000000000000000000000000000",
        None,
        422,
        "Invalid killmail_id and/or killmail_hash",
    ),
    ("POST", "/universe/names", [30000142, 1], 404, "Ensure all IDs are valid before resolving"),
    ("POST", "/universe/names", [], 400, "Invalid body"),
    ("POST", "/universe/names", list(range(1, 1002)), 400, "Invalid body"),
    ("POST", "/characters/affiliation", [5, 5], 400, "Invalid body"),
    ("POST", "/universe/ids", [f"n{i}" for i in range(501)], 400, "Invalid body"),
    ("GET", "/characters/1/killmails/recent", None, 401, "Unauthorized - No token provided"),
    ("GET", "/status?datasource=singularity", None, 400, "Invalid datasource"),
    ("GET", "/no/such/route", None, 404, "Not found"),
]


async def test_error_bodies(sim: Simulator, http: aiohttp.ClientSession) -> None:
    error_schema = response_schema("GET /status") | {"$ref": "#/components/schemas/Error"}
    for method, path, body, status, error in ERROR_CASES:
        # when a request is wrong
        async with http.request(
            method, sim.endpoints["esi"] + "/latest" + path, json=body
        ) as response:
            payload = await response.json()
            headers = response.headers
        # then ESI's status and error body come back, with exactly one limit header family
        assert (response.status, payload["error"]) == (status, error), path
        jsonschema.validate(payload, error_schema, cls=jsonschema.Draft202012Validator)
        assert ("X-ESI-Error-Limit-Remain" in headers) != ("X-Ratelimit-Group" in headers), path
    assert sim.stats()["requests_by_status"] == {"400": 6, "401": 1, "404": 6, "422": 1}
