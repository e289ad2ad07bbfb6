"""ESI response bodies built from the universe, in the shape of the requested spec date.

Keys are emitted in alphabetical order and absent optionals are omitted, like ESI.
"""

from __future__ import annotations

import functools
from typing import Any

from killreport.sim.corpus import prices
from killreport.sim.universe import Alliance, Character, Corporation, Universe
from killreport.universe.static import StaticUniverse

# Palette colours for player corporations (new corporation shape), picked by id.
_PALETTE = ("#1f3a5f", "#8a2b0e", "#3c6e47", "#5a3d7a", "#b08d2a", "#2d2d2d")


def _sorted(body: dict[str, Any]) -> dict[str, Any]:
    return {key: body[key] for key in sorted(body) if body[key] is not None}


def alliance_body(alliance: Alliance) -> dict[str, Any]:
    """`GET /alliances/{id}` (same shape in both specs)."""
    return _sorted(
        {
            "creator_corporation_id": alliance.creator_corporation_id,
            "creator_id": alliance.creator_id,
            "date_founded": alliance.date_founded,
            "executor_corporation_id": alliance.executor_corporation_id,
            "faction_id": alliance.faction_id,
            "name": alliance.name,
            "ticker": alliance.ticker,
        }
    )


def corporation_body(corporation: Corporation, *, new_shape: bool) -> dict[str, Any]:
    """`GET /corporations/{id}`: 2026-07-21 shape, or the older one (`tax_rate`, `faction_id`)."""
    common: dict[str, Any] = {
        "alliance_id": corporation.alliance_id,
        "ceo_id": corporation.ceo_id,
        "creator_id": corporation.creator_id,
        "date_founded": corporation.date_founded,
        "description": corporation.description,
        "home_station_id": corporation.home_station_id,
        "member_count": corporation.member_count,
        "name": corporation.name,
        "shares": corporation.shares,
        "ticker": corporation.ticker,
        "url": corporation.url,
        "war_eligible": corporation.war_eligible,
    }
    if not new_shape:
        common["faction_id"] = corporation.faction_id
        common["tax_rate"] = corporation.tax_rate
        return _sorted(common)
    player = not corporation.npc
    common["enlisted_faction_id"] = corporation.faction_id if player else None
    common["friendly_fire"] = "illegal"
    common["palette"] = (
        {"main_color": _PALETTE[corporation.corporation_id % len(_PALETTE)]} if player else None
    )
    common["state"] = "closed" if corporation.closed else "active"
    common["tax_rates"] = {"isk": round(corporation.tax_rate * 100, 2), "loyalty_point": 0.0}
    common["type"] = "player_owned" if player else "npc_owned"
    return _sorted(common)


def character_body(
    character: Character, alliance_id: int | None, *, new_shape: bool
) -> dict[str, Any]:
    """`GET /characters/{id}`: the 2026-06-09 shape (`achievement_score`) or the older one."""
    body: dict[str, Any] = {
        "alliance_id": alliance_id,
        "birthday": character.birthday,
        "bloodline_id": character.bloodline_id,
        "corporation_id": character.corporation_id,
        "description": character.description,
        "faction_id": character.faction_id,
        "gender": character.gender,
        "name": character.name,
        "race_id": character.race_id,
        "security_status": character.security_status,
    }
    if new_shape:
        body["achievement_score"] = character.achievement_score
        body["corporation_title"] = character.title or None
    else:
        body["title"] = character.title or None
    return _sorted(body)


def affiliation_row(universe: Universe, character: Character) -> dict[str, Any]:
    """One row of `POST /characters/affiliation`."""
    corporation = universe.corporations.get(character.corporation_id)
    return _sorted(
        {
            "alliance_id": corporation.alliance_id if corporation else None,
            "character_id": character.character_id,
            "corporation_id": character.corporation_id,
            "faction_id": character.faction_id,
        }
    )


def type_body(static: StaticUniverse, type_id: int) -> dict[str, Any] | None:
    """`GET /universe/types/{id}`."""
    found = static.types.get(type_id)
    if found is None or found.group_id is None:
        return None
    return _sorted(
        {
            "capacity": found.capacity,
            "description": "",
            "group_id": found.group_id,
            "market_group_id": found.market_group_id,
            "mass": found.mass,
            "name": found.name if found.name is not None else f"Type {type_id}",
            "published": found.published,
            "type_id": type_id,
            "volume": found.volume,
        }
    )


_CHILDREN: dict[int, dict[str, dict[int, list[int]]]] = {}


def _children(static: StaticUniverse) -> dict[str, dict[int, list[int]]]:
    # Keyed by identity: the static snapshot is loaded once per process and never changes.
    found = _CHILDREN.get(id(static))
    if found is None:
        found = _CHILDREN[id(static)] = _child_index(static)
    return found


def _child_index(static: StaticUniverse) -> dict[str, dict[int, list[int]]]:
    children: dict[str, dict[int, list[int]]] = {
        "group": {},
        "category": {},
        "constellation": {},
        "region": {},
    }
    for kind in static.types.values():
        if kind.group_id is not None:
            children["group"].setdefault(kind.group_id, []).append(kind.type_id)
    for group in static.groups.values():
        children["category"].setdefault(group.category_id, []).append(group.group_id)
    for system in static.systems.values():
        children["constellation"].setdefault(system.constellation_id, []).append(system.system_id)
    for constellation in static.constellations.values():
        children["region"].setdefault(constellation.region_id, []).append(
            constellation.constellation_id
        )
    for table in children.values():
        for ids in table.values():
            ids.sort()
    return children


def group_body(static: StaticUniverse, group_id: int) -> dict[str, Any] | None:
    """`GET /universe/groups/{id}`."""
    group = static.groups.get(group_id)
    if group is None:
        return None
    return {
        "category_id": group.category_id,
        "group_id": group_id,
        "name": group.name,
        "published": group.published,
        "types": _children(static)["group"].get(group_id, []),
    }


def category_body(static: StaticUniverse, category_id: int) -> dict[str, Any] | None:
    """`GET /universe/categories/{id}`."""
    category = static.categories.get(category_id)
    if category is None:
        return None
    return {
        "category_id": category_id,
        "groups": _children(static)["category"].get(category_id, []),
        "name": category.name,
        "published": category.published,
    }


def system_body(static: StaticUniverse, system_id: int) -> dict[str, Any] | None:
    """`GET /universe/systems/{id}`."""
    system = static.systems.get(system_id)
    if system is None:
        return None
    return _sorted(
        {
            "constellation_id": system.constellation_id,
            "name": system.name,
            "position": {"x": float(system.x), "y": float(system.y), "z": float(system.z)},
            "security_class": system.security_class,
            "security_status": system.security_status,
            "system_id": system_id,
        }
    )


def constellation_body(static: StaticUniverse, constellation_id: int) -> dict[str, Any] | None:
    """`GET /universe/constellations/{id}` (position = mean of its systems)."""
    constellation = static.constellations.get(constellation_id)
    if constellation is None:
        return None
    systems = _children(static)["constellation"].get(constellation_id, [])
    rows = [static.systems[s] for s in systems]
    position = {
        axis: float(sum(getattr(r, axis) for r in rows) / max(1, len(rows)))
        for axis in ("x", "y", "z")
    }
    return {
        "constellation_id": constellation_id,
        "name": constellation.name,
        "position": position,
        "region_id": constellation.region_id,
        "systems": systems,
    }


def region_body(static: StaticUniverse, region_id: int) -> dict[str, Any] | None:
    """`GET /universe/regions/{id}`."""
    region = static.regions.get(region_id)
    if region is None:
        return None
    return {
        "constellations": _children(static)["region"].get(region_id, []),
        "name": region.name,
        "region_id": region_id,
    }


@functools.cache
def market_prices_body() -> list[dict[str, Any]]:
    """`GET /markets/prices` from the recorded corpus prices."""
    return [
        {"adjusted_price": round(price * 0.98, 2), "average_price": price, "type_id": type_id}
        for type_id, price in sorted(prices().items())
    ]
