"""The zKillboard API (`/api/...` path modifiers), as zKillboard serves it since 2026-06-27.

Rules: the path must end with `/` (else `200 Missing trailing slash`, empty body); any
query string is refused with 403; errors are HTTP 200 with `{"error": ...}`; 200
killmails per page, newest first, full ESI fields plus the `zkb` block.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import orjson
from aiohttp import web

from killreport.sim.r2z2 import history_response
from killreport.sim.state import SimState
from killreport.sim.zkb_block import zkb_block

PAGE_SIZE = 200
MAX_PAGE = 100
MAX_PAST_SECONDS = 604_800
_ENTITY_FILTERS = {
    "characterID": "character",
    "corporationID": "corporation",
    "allianceID": "alliance",
}
_VALUE_MODIFIERS = frozenset(
    (
        *_ENTITY_FILTERS,
        "killID",
        "page",
        "pastSeconds",
        "year",
        "month",
        "npc",
        "awox",
        "shipTypeID",
        "solarSystemID",
        "regionID",
        "iskValue",
    )
)
_FLAG_MODIFIERS = frozenset(("kills", "losses", "solo", "w-space"))
_DISABLED = frozenset(
    (
        "limit",
        "beforeKillID",
        "afterKillID",
        "orderDirection",
        "no-items",
        "no-attackers",
        "startTime",
        "endTime",
        "xml",
        "json",
    )
)


class ZkbRequestError(ValueError):
    """A request zKillboard answers with `{"error": ...}`."""


def parse_modifiers(path: str) -> tuple[dict[str, int], set[str]]:
    """Split `/kills/characterID/5/page/2/` into ({"characterID": 5, "page": 2}, {"kills"})."""
    parts = [p for p in path.split("/") if p]
    values: dict[str, int] = {}
    flags: set[str] = set()
    index = 0
    while index < len(parts):
        modifier = parts[index]
        if modifier in _FLAG_MODIFIERS:
            flags.add(modifier)
            index += 1
            continue
        if modifier in _DISABLED:
            raise ZkbRequestError(f"{modifier} is no longer supported")
        if modifier not in _VALUE_MODIFIERS:
            raise ZkbRequestError(f"Invalid modifier: {modifier}")
        if index + 1 >= len(parts):
            raise ZkbRequestError(f"{modifier} requires a value")
        raw = parts[index + 1]
        if not raw.isdigit() or (raw.startswith("0") and modifier not in ("npc", "awox")):
            raise ZkbRequestError(f"Invalid value for {modifier}: {raw}")
        values[modifier] = int(raw)
        index += 2
    return values, flags


def _candidates(state: SimState, values: dict[str, int]) -> list[int]:
    store = state.store
    if "killID" in values:
        return [values["killID"]] if values["killID"] in store.records else []
    chosen: list[int] | None = None
    for modifier, kind in _ENTITY_FILTERS.items():
        if modifier in values:
            ids = store.ids_of(kind, values[modifier])
            chosen = ids if chosen is None else sorted(set(chosen) & set(ids))
    return list(store.ordered_ids) if chosen is None else chosen


def select(state: SimState, values: dict[str, int], flags: set[str]) -> list[dict[str, Any]]:
    """The page of killmails (ESI body + zkb) a modifier set asks for, newest first."""
    page = values.get("page", 1)
    has_entity = any(m in values for m in _ENTITY_FILTERS)
    if "page" in values and not has_entity:
        raise ZkbRequestError(
            "page requires an entity filter (characterID, corporationID, allianceID)"
        )
    if not 1 <= page <= MAX_PAGE:
        raise ZkbRequestError(f"page must be between 1 and {MAX_PAGE}")
    if values.get("pastSeconds", 0) > MAX_PAST_SECONDS:
        raise ZkbRequestError(f"pastSeconds cannot exceed {MAX_PAST_SECONDS}")
    store = state.store
    now_s = state.clock.now()
    newest = now_s - state.config.zkb_api_hold_back_s
    oldest = now_s - values["pastSeconds"] if "pastSeconds" in values else -math.inf
    entity = next(((m, values[m]) for m in _ENTITY_FILTERS if m in values), None)
    skip = (page - 1) * PAGE_SIZE
    rows: list[dict[str, Any]] = []
    for killmail_id in reversed(_candidates(state, values)):
        record = store.records[killmail_id]
        if not oldest <= record.time_s <= newest:
            continue
        if entity is not None and flags & {"kills", "losses"}:
            lost = (entity[1], killmail_id) in store.losses
            if ("losses" in flags and not lost) or ("kills" in flags and lost):
                continue
        when = datetime.fromtimestamp(record.time_s, UTC)
        if (
            values.get("year", when.year) != when.year
            or values.get("month", when.month) != when.month
        ):
            continue
        esi = store.body(record)
        if values.get("solarSystemID", esi["solar_system_id"]) != esi["solar_system_id"]:
            continue
        if values.get("shipTypeID", esi["victim"]["ship_type_id"]) != esi["victim"]["ship_type_id"]:
            continue
        zkb = zkb_block(record, esi, state.universe.static)
        if "solo" in flags and not zkb["solo"]:
            continue
        if "npc" in values and zkb["npc"] != bool(values["npc"]):
            continue
        if "awox" in values and zkb["awox"] != bool(values["awox"]):
            continue
        if "w-space" in flags and "loc:w-space" not in zkb["labels"]:
            continue
        if "iskValue" in values and zkb["totalValue"] < values["iskValue"]:
            continue
        if skip:
            skip -= 1
            continue
        rows.append({**esi, "zkb": zkb})
        if len(rows) == PAGE_SIZE:
            break
    return rows


def routes(state: SimState) -> list[web.RouteDef]:
    """zKillboard API routes under `/zkb/api`."""

    def _api(request: web.Request) -> web.Response:
        wait_s = state.zkb_rate.admit(request.remote or "unknown")
        if wait_s is not None:
            return web.json_response(
                {"error": "Too many requests"},
                status=429,
                headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
            )
        if request.query_string:
            return web.Response(status=403, text="Query strings are not allowed")
        tail = request.match_info["tail"]
        if tail.startswith("history/"):
            return history_response(state, tail.removeprefix("history/"))
        if not request.path.endswith("/"):
            return web.Response(status=200, reason="Missing trailing slash", body=b"")
        try:
            values, flags = parse_modifiers(tail)
            rows = select(state, values, flags)
        except ZkbRequestError as error:
            return web.json_response({"error": str(error)})
        headers = {
            "Cache-Control": "public, max-age=3600",
            "Expires": formatdate(state.clock.now() + 3600, usegmt=True),
        }
        return web.Response(
            body=orjson.dumps(rows), headers=headers, content_type="application/json"
        )

    api = state.stats.counted("zkb_api", "zkb_api GET /api/...", _api)
    return [web.get("/zkb/api/{tail:.*}", api)]
