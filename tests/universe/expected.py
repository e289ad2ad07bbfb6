"""What `sync all` should have stored, worked out from the simulator's universe.

ESI cannot list characters or every corporation: a sync reaches what `GET /alliances`
leads to. `reachable()` is that closure, following the same references the entity specs
follow (alliance -> members, executor and creator corporation, creator; corporation ->
alliance, CEO, creator; character -> corporation, alliance). Killmail participants can
be given as extra starting points (what `scan entities` adds). `differences()` compares
the stored rows with it: the same ids, every field as the simulator has it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, select

from killreport.db.engine import Database
from killreport.db.tables import Alliance, Character, Corporation
from killreport.sim.universe import Universe
from killreport.universe.specs import EntityKind, discoverable


@dataclass(slots=True)
class Reachable:
    """Ids a sync can reach, by kind (including ones ESI answers 404 for)."""

    alliances: set[int] = field(default_factory=set)
    corporations: set[int] = field(default_factory=set)
    characters: set[int] = field(default_factory=set)

    def size(self) -> tuple[int, int, int]:
        """(alliances, corporations, characters)."""
        return len(self.alliances), len(self.corporations), len(self.characters)


def _add(target: set[int], kind: EntityKind, ids: Iterable[int | None]) -> None:
    target.update(i for i in ids if i is not None and discoverable(kind, i))


def reachable(
    universe: Universe,
    *,
    alliances: Iterable[int] = (),
    corporations: Iterable[int] = (),
    characters: Iterable[int] = (),
) -> Reachable:
    """The closure of GET /alliances (plus the given ids) over the specs' references."""
    # The given ids are fetched whatever they are (scan entities queues NPCs too).
    found = Reachable(set(alliances), set(corporations), set(characters))
    _add(found.alliances, EntityKind.ALLIANCE, universe.active_alliance_ids())
    while True:
        before = found.size()
        for alliance_id in list(found.alliances):
            alliance = universe.alliances.get(alliance_id)
            if alliance is None or alliance.closed:
                continue
            _add(found.corporations, EntityKind.CORPORATION, universe.alliance_members(alliance_id))
            _add(
                found.corporations,
                EntityKind.CORPORATION,
                (alliance.executor_corporation_id, alliance.creator_corporation_id),
            )
            _add(found.characters, EntityKind.CHARACTER, (alliance.creator_id,))
        for corporation_id in list(found.corporations):
            corporation = universe.corporations.get(corporation_id)
            if corporation is None:
                continue
            _add(found.alliances, EntityKind.ALLIANCE, (corporation.alliance_id,))
            _add(
                found.characters, EntityKind.CHARACTER, (corporation.ceo_id, corporation.creator_id)
            )
        for character_id in list(found.characters):
            character = universe.characters.get(character_id)
            if character is None:
                continue
            _add(found.corporations, EntityKind.CORPORATION, (character.corporation_id,))
            _add(
                found.alliances,
                EntityKind.ALLIANCE,
                (universe.alliance_of(character.corporation_id),),
            )
        if found.size() == before:
            return found


def killmail_participants(bodies: Iterable[dict[str, Any]]) -> Reachable:
    """Characters, corporations and alliances named as victim or attacker in ESI bodies."""
    named = Reachable()
    for body in bodies:
        for party in (body["victim"], *body["attackers"]):
            for ids, key in (
                (named.characters, "character_id"),
                (named.corporations, "corporation_id"),
                (named.alliances, "alliance_id"),
            ):
                if party.get(key):
                    ids.add(int(party[key]))
    return named


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _fraction(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def expected_rows(universe: Universe, wanted: Reachable) -> dict[str, dict[int, dict[str, Any]]]:
    """The fields ESI shows for every reachable entity that exists, by table and id."""
    alliances = {
        a.alliance_id: {
            "name": a.name,
            "ticker": a.ticker,
            "executor_corporation_id": a.executor_corporation_id,
            "faction_id": a.faction_id,
            "date_founded": _date(a.date_founded),
            "creator_id": a.creator_id,
            "creator_corporation_id": a.creator_corporation_id,
        }
        for a in universe.alliances.values()
        if a.alliance_id in wanted.alliances and not a.closed
    }
    corporations = {
        c.corporation_id: {
            "name": c.name,
            "ticker": c.ticker,
            "member_count": c.member_count,
            "ceo_id": c.ceo_id,
            "alliance_id": c.alliance_id,
            "tax_rate": _fraction(c.tax_rate),
            "date_founded": _date(c.date_founded),
            "creator_id": c.creator_id,
            # ESI's 2026-07-21 shape names only a player corporation's enlisted faction.
            "faction_id": None if c.npc else c.faction_id,
            "home_station_id": c.home_station_id,
            "war_eligible": c.war_eligible,
            "shares": c.shares,
        }
        for c in universe.corporations.values()
        if c.corporation_id in wanted.corporations
    }
    characters = {
        c.character_id: {
            "name": c.name,
            "corporation_id": c.corporation_id,
            "alliance_id": universe.alliance_of(c.corporation_id),
            "faction_id": c.faction_id,
            "birthday": _date(c.birthday),
            "security_status": _fraction(c.security_status),
            "title": c.title or None,
            "gender": c.gender,
            "race_id": c.race_id,
            "bloodline_id": c.bloodline_id,
        }
        for c in universe.characters.values()
        if c.character_id in wanted.characters
    }
    return {"alliances": alliances, "corporations": corporations, "characters": characters}


_TABLES: dict[str, tuple[Any, str]] = {
    "alliances": (Alliance, "alliance_id"),
    "corporations": (Corporation, "corporation_id"),
    "characters": (Character, "character_id"),
}


async def stored_rows(database: Database, name: str) -> dict[int, dict[str, Any]]:
    """Every stored row of an entity table (Core select), by id."""
    model, id_column = _TABLES[name]
    table = model.__table__
    assert isinstance(table, Table)
    async with database.transaction() as session:
        result = await session.execute(select(table))
        return {int(row[id_column]): dict(row) for row in result.mappings()}


def _normalised(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


async def differences(
    database: Database, universe: Universe, wanted: Reachable, *, exact: bool = True
) -> list[str]:
    """Every way the stored entities differ from the simulator's; empty when all is right.

    Live rows must be the reachable entities that exist (exactly those, or, with
    `exact=False`, at least those: entities stored earlier that are no longer reachable
    must still be current), with every field as the simulator has it. Reachable ids ESI
    answers 404 for (closed alliances) may only be stored marked deleted."""
    problems: list[str] = []
    stored = {name: await stored_rows(database, name) for name in _TABLES}
    live = {
        name: {i for i, row in rows.items() if row["deleted_at"] is None}
        for name, rows in stored.items()
    }
    if not exact:
        wanted = Reachable(
            wanted.alliances | live["alliances"],
            wanted.corporations | live["corporations"],
            wanted.characters | live["characters"],
        )
    for name, rows in expected_rows(universe, wanted).items():
        missing = sorted(set(rows) - live[name])
        extra = sorted(live[name] - set(rows))
        if missing:
            problems.append(f"{name}: {len(missing)} not stored, e.g. {missing[:5]}")
        if extra:
            problems.append(f"{name}: {len(extra)} stored but not reachable, e.g. {extra[:5]}")
        for entity_id, fields in sorted(rows.items()):
            row = stored[name].get(entity_id)
            if row is None:
                continue
            for column, value in fields.items():
                if _normalised(row[column]) != value:
                    problems.append(
                        f"{name} {entity_id}.{column}: stored {row[column]!r}, ESI has {value!r}"
                    )
    return problems
