"""A naive in-memory twin of the stats rules, over the ESI bodies, to compare SQL against.

It knows nothing of the SQL: it walks every body, places each entity by the ESI field
that names it, and counts kills (distinct killmails per entity), losses, ISK and points.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from killreport.stats.entities import EntityKind
from killreport.stats.summary import EntityStats, isk_efficiency
from killreport.stats.top import TopBy, TopEntry
from tests.stats.dataset import Stored, bodies, group_of, time_of

ATTACKER_FIELD = {
    EntityKind.CHARACTER: "character_id",
    EntityKind.CORPORATION: "corporation_id",
    EntityKind.ALLIANCE: "alliance_id",
    EntityKind.SHIP_TYPE: "ship_type_id",
}
VICTIM_FIELD = {**ATTACKER_FIELD}


def in_window(body: dict[str, Any], since: datetime | None, until: datetime | None) -> bool:
    """The body's time is within [since, until)."""
    moment = time_of(body)
    return (since is None or moment >= since) and (until is None or moment < until)


def place(body: dict[str, Any], stored: Stored, kind: EntityKind) -> int | None:
    """The system, constellation or region of a killmail."""
    if kind is EntityKind.SOLAR_SYSTEM:
        return int(body["solar_system_id"])
    if kind is EntityKind.CONSTELLATION:
        return stored.constellation_id
    if kind is EntityKind.REGION:
        return stored.region_id
    return None


def is_attacker(attacker: dict[str, Any], kind: EntityKind, entity_id: int) -> bool:
    """The attacker is the entity."""
    if kind is EntityKind.GROUP:
        return group_of(attacker.get("ship_type_id")) == entity_id
    return attacker.get(ATTACKER_FIELD[kind]) == entity_id


def is_victim(body: dict[str, Any], stored: Stored, kind: EntityKind, entity_id: int) -> bool:
    """The victim is the entity."""
    if kind is EntityKind.GROUP:
        return stored.victim_ship_group_id == entity_id
    return body["victim"].get(VICTIM_FIELD[kind]) == entity_id


LOCATIONS = {EntityKind.SOLAR_SYSTEM, EntityKind.CONSTELLATION, EntityKind.REGION}


def entity_attackers(
    body: dict[str, Any], stored: Stored, kind: EntityKind, entity_id: int
) -> list[dict[str, Any]]:
    """The attackers of the body that are the entity (every one, in its place)."""
    if kind in LOCATIONS:
        return list(body["attackers"]) if place(body, stored, kind) == entity_id else []
    return [a for a in body["attackers"] if is_attacker(a, kind, entity_id)]


def stats(
    stored: dict[int, Stored],
    kind: EntityKind,
    entity_id: int,
    since: datetime | None,
    until: datetime | None,
) -> EntityStats:
    """The entity's stats by walking every body."""
    kills = losses = solo = points = 0
    destroyed = lost = 0.0
    for body in bodies():
        if not in_window(body, since, until):
            continue
        facts = stored[body["killmail_id"]]
        if entity_attackers(body, facts, kind, entity_id):
            kills += 1
            destroyed += facts.total_value
            points += facts.points
            solo += facts.solo
        if kind not in LOCATIONS and is_victim(body, facts, kind, entity_id):
            losses += 1
            lost += facts.total_value
    return EntityStats(
        kills, losses, destroyed, lost, isk_efficiency(destroyed, lost), solo, points
    )


ATTACKER_GROUPING = {
    TopBy.PILOTS: "character_id",
    TopBy.CORPORATIONS: "corporation_id",
    TopBy.ALLIANCES: "alliance_id",
    TopBy.SHIPS: "ship_type_id",
}
KILLMAIL_GROUPING = {
    TopBy.SYSTEMS: lambda body: body["solar_system_id"],
    TopBy.TARGET_ALLIANCES: lambda body: body["victim"].get("alliance_id"),
    TopBy.TARGET_CORPORATIONS: lambda body: body["victim"].get("corporation_id"),
    TopBy.TARGET_SHIPS: lambda body: body["victim"].get("ship_type_id"),
}


def rank(groups: dict[int, set[int]], stored: dict[int, Stored], first: int) -> list[TopEntry]:
    """Entries of group -> killmail ids, by kills, then ISK, then id."""
    entries = [
        TopEntry(group, len(ids), sum(stored[k].total_value for k in ids))
        for group, ids in groups.items()
    ]
    entries.sort(key=lambda e: (-e.kills, -round(e.isk, 2), e.id))
    return entries[:first]


def top(
    stored: dict[int, Stored],
    kind: EntityKind,
    entity_id: int,
    by: TopBy,
    since: datetime | None,
    until: datetime | None,
    first: int,
) -> list[TopEntry]:
    """The entity's top list by walking every body."""
    groups: dict[int, set[int]] = defaultdict(set)
    for body in bodies():
        if not in_window(body, since, until):
            continue
        kid = body["killmail_id"]
        mine = entity_attackers(body, stored[kid], kind, entity_id)
        if not mine:
            continue
        if by in ATTACKER_GROUPING:
            for attacker in mine:
                value = attacker.get(ATTACKER_GROUPING[by])
                if value is not None:
                    groups[value].add(kid)
        else:
            value = KILLMAIL_GROUPING[by](body)
            if value is not None:
                groups[value].add(kid)
    return rank(groups, stored, first)


def is_player_character(character_id: int | None) -> bool:
    """A player character: not an EVE System id nor an NPC agent."""
    return character_id is not None and (
        character_id >= 1_000_000 and not 3_000_000 <= character_id < 4_000_000
    )


def board(
    stored: dict[int, Stored],
    by: str,
    since: datetime | None,
    until: datetime | None,
    location: tuple[EntityKind, int] | None,
    first: int,
) -> list[TopEntry]:
    """A leaderboard by walking every body: NPC characters, corporations, factions never rank."""
    groups: dict[int, set[int]] = defaultdict(set)
    for body in bodies():
        kid = body["killmail_id"]
        if not in_window(body, since, until):
            continue
        if location is not None and place(body, stored[kid], location[0]) != location[1]:
            continue
        if by == "VICTIM_SHIPS":
            groups[body["victim"]["ship_type_id"]].add(kid)
            continue
        for a in body["attackers"]:
            character = a.get("character_id")
            corporation = a.get("corporation_id")
            if by == "PILOTS" and is_player_character(character):
                groups[character].add(kid)
            elif by == "CORPORATIONS" and corporation is not None and corporation >= 2_000_000:
                groups[corporation].add(kid)
            elif by == "ALLIANCES" and a.get("alliance_id") is not None:
                groups[a["alliance_id"]].add(kid)
            elif (
                by == "ATTACKER_SHIPS" and is_player_character(character) and a.get("ship_type_id")
            ):
                groups[a["ship_type_id"]].add(kid)
    return rank(groups, stored, first)
