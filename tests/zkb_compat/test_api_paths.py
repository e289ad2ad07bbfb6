"""zKillboard's API paths on a board of the 108 real killmails: modifiers, headers, errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from sqlalchemy import select

from killreport.db.tables import Killmail
from killreport.settings import Settings
from killreport.universe.static import load_static
from tests.killmails.corpus import corpus
from tests.zkb_compat.board import served_board
from tests.zkb_compat.shapes import assert_api_element

Body = dict[str, Any]
ALLIANCE = 1354830081  # the corpus alliance with the most kills and losses (9 and 6)


def _ids(keep: Callable[[Body], bool]) -> list[int]:
    """Corpus killmail ids whose ESI body passes `keep`, newest id first (zKillboard's order)."""
    return sorted((int(r["killmail_id"]) for r in corpus() if keep(r["esi"])), reverse=True)


def _attacker_values(body: Body, key: str) -> set[Any]:
    return {a.get(key) for a in body["attackers"]}


def _time(body: Body) -> datetime:
    return datetime.strptime(body["killmail_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


async def _get(http: aiohttp.ClientSession, path: str) -> tuple[int, Any, Any]:
    async with http.get(path) as response:
        return response.status, response.headers, await response.json()


async def test_path_modifiers_select_what_zkillboard_would(settings: Settings) -> None:
    static = load_static()
    character, alliance, system, ship = 312108433, ALLIANCE, 30000142, 670
    group = static.group_of_type(ship)
    constellation = static.systems[system].constellation_id
    region = static.region_of_system(system)
    newest = max(_time(r["esi"]) for r in corpus())
    window = (newest - timedelta(days=400), newest - timedelta(days=30))
    expected = {
        f"characterID/{character}/": _ids(
            lambda b: (
                b["victim"].get("character_id") == character
                or character in _attacker_values(b, "character_id")
            )
        ),
        f"kills/allianceID/{alliance}/": _ids(
            lambda b: alliance in _attacker_values(b, "alliance_id")
        ),
        f"losses/allianceID/{alliance}/": _ids(
            lambda b: b["victim"].get("alliance_id") == alliance
        ),
        f"allianceID/{alliance}/": _ids(
            lambda b: (
                b["victim"].get("alliance_id") == alliance
                or alliance in _attacker_values(b, "alliance_id")
            )
        ),
        f"losses/shipTypeID/{ship}/": _ids(lambda b: b["victim"]["ship_type_id"] == ship),
        f"shipTypeID/{ship}/": _ids(
            lambda b: b["victim"]["ship_type_id"] == ship
            or ship in _attacker_values(b, "ship_type_id")
        ),
        f"losses/groupID/{group}/": _ids(
            lambda b: static.group_of_type(b["victim"]["ship_type_id"]) == group
        ),
        f"solarSystemID/{system}/": _ids(lambda b: b["solar_system_id"] == system),
        f"constellationID/{constellation}/": _ids(
            lambda b: static.systems[b["solar_system_id"]].constellation_id == constellation
            if b["solar_system_id"] in static.systems
            else False
        ),
        f"regionID/{region}/": _ids(
            lambda b: static.region_of_system(b["solar_system_id"]) == region
        ),
        "w-space/": _ids(lambda b: 31_000_000 <= b["solar_system_id"] < 32_000_000),
        f"startTime/{window[0]:%Y%m%d%H%M}/endTime/{window[1]:%Y%m%d%H%M}/": _ids(
            lambda b: window[0] <= _time(b) < window[1]
        ),
        f"year/{newest.year}/": _ids(lambda b: _time(b).year == newest.year),
    }
    paged = _ids(lambda b: b["victim"]["ship_type_id"] == ship)
    real = {int(r["killmail_id"]): r["esi"] for r in corpus()}
    async with served_board(settings) as board, aiohttp.ClientSession(board.url) as http:
        # when each path is asked for
        answers = {path: await _get(http, f"/api/{path}") for path in expected}
        page_two = await _get(http, f"/api/losses/shipTypeID/{ship}/limit/3/page/2/")
        one = await _get(http, f"/api/killID/{paged[0]}/")
        solo = await _get(http, "/api/solo/")
        recent = await _get(http, "/api/pastSeconds/3600/")
        async with board.container.database.transaction() as session:
            solo_ids = sorted(
                (await session.scalars(select(Killmail.killmail_id).where(Killmail.solo))).all(),
                reverse=True,
            )
    now = datetime.now(UTC)
    # then each answers the killmails zKillboard's rules select, newest id first
    for path, ids in expected.items():
        status, headers, elements = answers[path]
        assert status == 200, path
        assert [e["killmail_id"] for e in elements] == ids, path
        assert ids, f"{path} selects nothing: the test proves nothing"
        # and each element is the ESI body exactly, plus zkb in the real samples' shape
        for element in elements:
            assert_api_element(element)
            assert {k: v for k, v in element.items() if k != "zkb"} == real[element["killmail_id"]]
        # and the answer may be cached for an hour, like zKillboard's
        assert headers["Cache-Control"] == "public, max-age=3600"
        assert headers["Access-Control-Allow-Origin"] == "*"
        expires = parsedate_to_datetime(headers["Expires"])
        assert abs((expires - now - timedelta(hours=1)).total_seconds()) < 120
    assert [e["killmail_id"] for e in page_two[2]] == paged[3:6]
    assert [e["killmail_id"] for e in one[2]] == [paged[0]]
    assert [e["killmail_id"] for e in solo[2]] == solo_ids[:200] and solo_ids
    assert recent[2] == []  # the newest real killmail is months old


async def test_bad_paths_get_zkillboards_kind_of_error(embedded_settings: Settings) -> None:
    errors = {
        "characterID/5": "missing trailing slash",
        "foo/1/": "invalid modifier: 'foo'",
        "characterID/0123/": "invalid value for characterID",
        "characterID/abc/": "invalid value for characterID",
        "characterID/1,2/": "comma lists are not supported",
        "characterID/": "characterID requires a value",
        "characterID/5/characterID/6/": "characterID given twice",
        "page/2/": "page requires an entity or location filter",
        "characterID/5/page/101/": "page must be between 1 and 100",
        "kills/losses/characterID/5/": "kills and losses cannot be combined",
        "pastSeconds/604801/": "pastSeconds cannot exceed 604800",
        "limit/201/": "limit must be between 1 and 200",
        "beforeKillID/5/": "beforeKillID is not supported",
        "startTime/2020/": "startTime must be YYYYMMDDHHMM",
        "npc/2/": "npc must be 0 or 1",
        "month/5/": "month requires year",
        "killID/5/solo/": "killID cannot be combined",
        "": "no modifiers given",
        "stats/fooID/5/": "invalid type 'fooID'",
        "stats/factionID/5/": "invalid type 'factionID'",
        "stats/characterID/abc/": "'abc' is not a valid id",
    }
    async with (
        served_board(embedded_settings, filled=False) as board,
        aiohttp.ClientSession(board.url) as http,
    ):
        # when each bad path is asked for, and a path with a query string
        answers = {path: await _get(http, f"/api/{path}") for path in errors}
        query = await _get(http, "/api/characterID/5/?page=2")
    # then each is HTTP 200 with {"error": ...} saying what is wrong, never cached
    for path, says in errors.items():
        status, headers, body = answers[path]
        assert status == 200, path
        assert list(body) == ["error"] and says in body["error"], (path, body)
        assert headers["Cache-Control"] == "no-cache", path
    # and a query string is refused with 403, as zKillboard does
    assert query[0] == 403
    assert "query strings are not allowed" in query[2]["error"]


async def test_stats_count_what_the_lists_list(settings: Settings) -> None:
    ship, system = 670, 30000142
    async with served_board(settings) as board, aiohttp.ClientSession(board.url) as http:
        # given the kills and losses lists of a ship type and a system
        kills = (await _get(http, f"/api/kills/shipTypeID/{ship}/"))[2]
        losses = (await _get(http, f"/api/losses/shipTypeID/{ship}/"))[2]
        in_system = (await _get(http, f"/api/solarSystemID/{system}/"))[2]
        # when their stats are asked for
        status, headers, stats = await _get(http, f"/api/stats/shipTypeID/{ship}/")
        system_stats = (await _get(http, f"/api/stats/solarSystemID/{system}/"))[2]
        alliance_kills = (await _get(http, f"/api/kills/allianceID/{ALLIANCE}/"))[2]
        alliance_losses = (await _get(http, f"/api/losses/allianceID/{ALLIANCE}/"))[2]
        alliance_stats = (await _get(http, f"/api/stats/allianceID/{ALLIANCE}/"))[2]
        day = _time(in_system[0]).strftime("%Y%m%d")
        history = (await _get(http, f"/api/history/{day}.json"))[2]
        r2z2_history = (await _get(http, f"/r2z2/history/{day}.json"))[2]
    # then the all-time counts and ISK are the lists' own
    assert status == 200 and headers["Cache-Control"] == "public, max-age=3600"
    assert (stats["type"], stats["id"]) == ("shipTypeID", ship)
    assert stats["shipsDestroyed"] == len(kills) > 0
    assert stats["shipsLost"] == len(losses) > 0
    assert stats["iskLost"] == round(sum(e["zkb"]["totalValue"] for e in losses), 2)
    assert stats["iskDestroyed"] == round(sum(e["zkb"]["totalValue"] for e in kills), 2)
    assert stats["pointsDestroyed"] == sum(e["zkb"]["points"] for e in kills)
    assert stats["soloKills"] == sum(e["zkb"]["solo"] for e in kills)
    total = stats["shipsDestroyed"] + stats["shipsLost"]
    assert stats["dangerRatio"] == -(-100 * stats["shipsDestroyed"] // total)
    # and the recent windows are empty (the real killmails are months old); the top lists
    # are zKillboard's five, the all-time ship list led by the ship itself
    assert stats["recent"]["last7Days"]["shipsDestroyed"] == 0
    assert [t["type"] for t in stats["topLists"]] == [
        "character",
        "corporation",
        "alliance",
        "shipType",
        "solarSystem",
    ]
    ships = next(t["data"] for t in stats["topAllTime"] if t["type"] == "shipType")
    assert ships[0] == {
        "shipTypeID": ship,
        "id": ship,
        "kills": len(kills),
        "isk": stats["iskDestroyed"],
    }
    # and a location has kills only: every killmail there
    assert (system_stats["shipsDestroyed"], system_stats["shipsLost"]) == (len(in_system), 0)
    # and an alliance's (from the daily counters) count its lists too
    assert (alliance_stats["shipsDestroyed"], alliance_stats["shipsLost"]) == (
        len(alliance_kills),
        len(alliance_losses),
    )
    assert alliance_stats["iskLost"] == round(
        sum(e["zkb"]["totalValue"] for e in alliance_losses), 2
    )
    # and /api/history/ is R2Z2's daily id -> hash
    assert history == r2z2_history
    assert str(in_system[0]["killmail_id"]) in history
