"""ESI route handlers and the table that maps each served operation to one of them."""

from __future__ import annotations

import re
from typing import Any

from killreport.sim import esi_bodies
from killreport.sim.esi_http import Call, EsiRoute, Handler, Reply, id_list
from killreport.sim.esi_protocol import EsiError
from killreport.sim.spec import operations

# Page size of the recent-killmails routes (undocumented; clients assume 50).
RECENT_PAGE_SIZE = 50
RECENT_WINDOW_S = 90 * 86_400
CHARACTER_KILLMAIL_SCOPE = "esi-killmails.read_killmails.v1"
CORPORATION_KILLMAIL_SCOPE = "esi-killmails.read_corporation_killmails.v1"
_NAME_CATEGORIES = {
    "alliance",
    "character",
    "constellation",
    "corporation",
    "inventory_type",
    "region",
    "solar_system",
    "station",
    "faction",
}


def _int(call: Call, index: int, name: str) -> int:
    raw = call.params[index]
    if not raw.isdigit() or raw.startswith("0") or int(raw) > 2**63 - 1:
        raise EsiError(
            400,
            f"Invalid {name}",
            [{"location": f"path.{name}", "message": "expected a positive integer", "value": raw}],
        )
    return int(raw)


def _static_modified(call: Call) -> float:
    # Static data last changed the day before the simulation's epoch.
    return call.state.clock.epoch - 86_400


def alliances(call: Call) -> Reply:
    """GET /alliances."""
    universe = call.state.universe
    modified = max((a.modified_at for a in universe.alliances.values()), default=0.0)
    return Reply(universe.active_alliance_ids(), modified_s=modified)


def alliance(call: Call) -> Reply:
    """GET /alliances/{alliance_id}."""
    found = call.state.universe.alliances.get(_int(call, 0, "alliance_id"))
    if found is None or found.closed:
        raise EsiError(404, "Alliance not found")
    return Reply(esi_bodies.alliance_body(found), modified_s=found.modified_at)


def alliance_corporations(call: Call) -> Reply:
    """GET /alliances/{alliance_id}/corporations."""
    universe = call.state.universe
    found = universe.alliances.get(_int(call, 0, "alliance_id"))
    if found is None or found.closed:
        raise EsiError(404, "Alliance not found")
    return Reply(universe.alliance_members(found.alliance_id), modified_s=found.modified_at)


def corporation(call: Call) -> Reply:
    """GET /corporations/{corporation_id}."""
    found = call.state.universe.corporations.get(_int(call, 0, "corporation_id"))
    if found is None:
        raise EsiError(404, "Corporation not found")
    return Reply(
        esi_bodies.corporation_body(found, new_shape=call.new_shape), modified_s=found.modified_at
    )


def character(call: Call) -> Reply:
    """GET /characters/{character_id}."""
    universe = call.state.universe
    found = universe.characters.get(_int(call, 0, "character_id"))
    if found is None:
        raise EsiError(404, "Character not found")
    corp = universe.corporations.get(found.corporation_id)
    modified = max(found.modified_at, corp.modified_at if corp else 0.0)
    body = esi_bodies.character_body(
        found, universe.alliance_of(found.corporation_id), new_shape=call.new_shape
    )
    return Reply(body, modified_s=modified)


def affiliation(call: Call) -> Reply:
    """POST /characters/affiliation (unknown ids are left out, as ESI does)."""
    universe = call.state.universe
    rows = []
    modified = 0.0
    for character_id in id_list(call.body, 1000):
        found = universe.characters.get(character_id)
        if found is not None:
            rows.append(esi_bodies.affiliation_row(universe, found))
            modified = max(modified, found.modified_at)
    return Reply(rows, modified_s=modified or call.state.clock.epoch)


def names(call: Call) -> Reply:
    """POST /universe/names: 404 when any id cannot be resolved."""
    universe = call.state.universe
    rows = []
    for entity_id in id_list(call.body, 1000):
        found = universe.name_of(entity_id)
        if found is None:
            raise EsiError(404, "Ensure all IDs are valid before resolving")
        rows.append({"category": found[0], "id": entity_id, "name": found[1]})
    return Reply(rows)


def ids(call: Call) -> Reply:
    """POST /universe/ids: exact name matches, grouped by kind (keys only when matched)."""
    index = call.state.universe.name_index()
    found: dict[str, list[dict[str, Any]]] = {}
    for name in id_list(call.body, 500, strings=True):
        for category, entity_id in index.get(name, ()):
            found.setdefault(category, []).append({"id": entity_id, "name": name})
    return Reply(dict(sorted(found.items())))


def _static(builder: Any, name: str, message: str) -> Handler:
    def handler(call: Call) -> Reply:
        body = builder(call.state.universe.static, _int(call, 0, name))
        if body is None:
            raise EsiError(404, message)
        return Reply(body, modified_s=_static_modified(call))

    handler.__doc__ = f"GET /universe/.../{{{name}}}."
    return handler


def killmail(call: Call) -> Reply:
    """GET /killmails/{killmail_id}/{killmail_hash}: 422 for an unknown id or wrong hash."""
    store = call.state.store
    record = store.records.get(_int(call, 0, "killmail_id"))
    if record is None or record.killmail_hash != call.params[1]:
        raise EsiError(422, "Invalid killmail_id and/or killmail_hash")
    return Reply(store.body(record), modified_s=record.time_s)


def _page(call: Call) -> int:
    raw = call.request.query.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise EsiError(
            400, "Invalid page", [{"location": "query.page", "message": "minimum 1", "value": raw}]
        )
    return int(raw)


def _recent(call: Call, kind: str, entity_id: int) -> Reply:
    state = call.state
    now_s = state.clock.now()
    horizon = now_s - RECENT_WINDOW_S
    store = state.store
    rows = []
    for killmail_id in reversed(store.ids_of(kind, entity_id)):
        record = store.records[killmail_id]
        if horizon <= record.time_s <= now_s:
            rows.append({"killmail_hash": record.killmail_hash, "killmail_id": killmail_id})
    pages = max(1, -(-len(rows) // RECENT_PAGE_SIZE))
    page = _page(call)
    chunk = rows[(page - 1) * RECENT_PAGE_SIZE : page * RECENT_PAGE_SIZE]
    # The list changes every five minutes at most (the route's cache time).
    modified = now_s - now_s % 300
    return Reply(chunk, modified_s=modified, pages=pages)


def _token(call: Call, scope: str) -> Any:
    claims = call.claims
    if call.request.headers.get("Authorization") is None and "token" not in call.request.query:
        raise EsiError(401, "Unauthorized - No token provided")
    if claims is None:
        raise EsiError(401, "Unauthorized - Invalid token")
    if claims.expired:
        raise EsiError(401, "Unauthorized - Token is expired")
    if scope not in claims.scopes:
        raise EsiError(403, "token not valid for scope")
    return claims


def character_recent(call: Call) -> Reply:
    """GET /characters/{character_id}/killmails/recent (scope, the token's own character)."""
    character_id = _int(call, 0, "character_id")
    claims = _token(call, CHARACTER_KILLMAIL_SCOPE)
    if claims.character_id != character_id:
        raise EsiError(403, "token not valid for character")
    return _recent(call, "character", character_id)


def corporation_recent(call: Call) -> Reply:
    """GET /corporations/{corporation_id}/killmails/recent (scope and the Director role)."""
    corporation_id = _int(call, 0, "corporation_id")
    claims = _token(call, CORPORATION_KILLMAIL_SCOPE)
    universe = call.state.universe
    member = universe.characters.get(claims.character_id)
    if (
        member is None
        or member.corporation_id != corporation_id
        or claims.character_id not in universe.directors
    ):
        raise EsiError(403, "Character does not have required role(s)")
    return _recent(call, "corporation", corporation_id)


def market_prices(call: Call) -> Reply:
    """GET /markets/prices."""
    return Reply(esi_bodies.market_prices_body(), modified_s=_static_modified(call))


def status(call: Call) -> Reply:
    """GET /status."""
    state = call.state
    now_s = state.clock.now()
    started = state.clock.epoch - state.clock.epoch % 86_400 + 11 * 3600 + 5 * 60
    if started > now_s:
        started -= 86_400
    from killreport.sim.killmails import iso_time

    body = {
        "players": 20_000 + int(now_s) % 10_000,
        "server_version": "3011493",
        "start_time": iso_time(started),
        "vip": False,
    }
    return Reply(body, modified_s=now_s - now_s % 30)


_ID = r"([^/]+)"
_TABLE: tuple[tuple[str, str, str, Handler, str | None], ...] = (
    ("GET", "alliances", "/alliances", alliances, None),
    ("GET", f"alliances/{_ID}", "/alliances/{alliance_id}", alliance, None),
    (
        "GET",
        f"alliances/{_ID}/corporations",
        "/alliances/{alliance_id}/corporations",
        alliance_corporations,
        None,
    ),
    ("GET", f"corporations/{_ID}", "/corporations/{corporation_id}", corporation, None),
    (
        "GET",
        f"corporations/{_ID}/killmails/recent",
        "/corporations/{corporation_id}/killmails/recent",
        corporation_recent,
        CORPORATION_KILLMAIL_SCOPE,
    ),
    ("POST", "characters/affiliation", "/characters/affiliation", affiliation, None),
    ("GET", f"characters/{_ID}", "/characters/{character_id}", character, None),
    (
        "GET",
        f"characters/{_ID}/killmails/recent",
        "/characters/{character_id}/killmails/recent",
        character_recent,
        CHARACTER_KILLMAIL_SCOPE,
    ),
    ("POST", "universe/names", "/universe/names", names, None),
    ("POST", "universe/ids", "/universe/ids", ids, None),
    (
        "GET",
        f"universe/types/{_ID}",
        "/universe/types/{type_id}",
        _static(esi_bodies.type_body, "type_id", "Type not found"),
        None,
    ),
    (
        "GET",
        f"universe/groups/{_ID}",
        "/universe/groups/{group_id}",
        _static(esi_bodies.group_body, "group_id", "Group not found"),
        None,
    ),
    (
        "GET",
        f"universe/categories/{_ID}",
        "/universe/categories/{category_id}",
        _static(esi_bodies.category_body, "category_id", "Category not found"),
        None,
    ),
    (
        "GET",
        f"universe/systems/{_ID}",
        "/universe/systems/{system_id}",
        _static(esi_bodies.system_body, "system_id", "Solar system not found"),
        None,
    ),
    (
        "GET",
        f"universe/constellations/{_ID}",
        "/universe/constellations/{constellation_id}",
        _static(esi_bodies.constellation_body, "constellation_id", "Constellation not found"),
        None,
    ),
    (
        "GET",
        f"universe/regions/{_ID}",
        "/universe/regions/{region_id}",
        _static(esi_bodies.region_body, "region_id", "Region not found"),
        None,
    ),
    ("GET", f"killmails/{_ID}/{_ID}", "/killmails/{killmail_id}/{killmail_hash}", killmail, None),
    ("GET", "markets/prices", "/markets/prices", market_prices, None),
    ("GET", "status", "/status", status, None),
)


def esi_routes() -> list[EsiRoute]:
    """Every served ESI operation, literal paths before parameterised ones."""
    ops = operations()
    return [
        EsiRoute(method, re.compile(f"^{pattern}$"), ops[f"{method} {path}"], handler, scope)
        for method, pattern, path, handler, scope in _TABLE
    ]
