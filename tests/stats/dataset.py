"""The stats test data: the 108 real killmails, some moved onto UTC window boundaries.

`NOW` is Tuesday 2026-12-01 12:00 UTC. Seven killmails of Goonswarm Federation
(alliance 1354830081, 9 kills and 6 losses in the corpus) are moved to the edges of
the windows around it; every other killmail keeps its real time (2008 to 2025-12-07),
so those count only in ALL_TIME and in calendar windows `at` their own days.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import insert, select

from killreport.db.engine import Database
from killreport.db.tables import (
    Category,
    Constellation,
    Group,
    Killmail,
    Region,
    SolarSystem,
    Type,
)
from killreport.killmails import repository
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.universe.static import load_static
from tests.killmails.corpus import corpus, daily_prices, everef_line

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GOONS = 1354830081

# killmail id -> new time; role for Goonswarm in the comment.
MOVED = {
    76641562: "2026-12-01T00:00:00Z",  # kill: the first instant of today
    84508915: "2026-11-30T23:59:59Z",  # loss: the last second of Monday (this ISO week)
    70591378: "2026-11-29T23:59:59Z",  # kill: the last second of last week (Sunday)
    67422512: "2026-11-01T00:00:00Z",  # loss: the first instant of November
    73404183: "2026-10-31T23:59:59Z",  # kill: the last second of October
    94371456: "2026-09-02T12:00:00Z",  # kill: exactly NOW - 90 days (inside LAST_90_DAYS)
    69047522: "2026-09-02T11:59:59Z",  # loss: one second before LAST_90_DAYS
}


@cache
def bodies() -> tuple[dict[str, Any], ...]:
    """The ESI bodies as stored: every corpus body, the MOVED ones at their new time."""
    result = []
    for row in corpus():
        body = copy.deepcopy(row["esi"])
        if row["killmail_id"] in MOVED:
            body["killmail_time"] = MOVED[row["killmail_id"]]
        result.append(body)
    return tuple(result)


def time_of(body: dict[str, Any]) -> datetime:
    """The killmail time of an ESI body, aware UTC."""
    return _parse_time(body["killmail_time"])


@cache
def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Stored:
    """What ingest derived for one killmail (values and flags the stats sum up)."""

    total_value: float
    points: int
    solo: bool
    victim_ship_group_id: int | None
    constellation_id: int | None
    region_id: int | None


async def load(database: Database) -> dict[int, Stored]:
    """Store prices and ingest every body; return what was derived per killmail id."""
    async with database.transaction() as session:
        await repository.store_prices(session, list(daily_prices()))
    killmails = []
    for row, body in zip(corpus(), bodies(), strict=True):
        line = everef_line({**row, "esi": body})
        killmails.append(parse_envelope(line, source="test"))
    result = await ingest_batch(database, None, killmails)
    assert len(result.created) == len(killmails)
    async with database.transaction() as session:
        rows = await session.execute(
            select(
                Killmail.killmail_id,
                Killmail.total_value,
                Killmail.points,
                Killmail.solo,
                Killmail.victim_ship_group_id,
                Killmail.constellation_id,
                Killmail.region_id,
            )
        )
        return {
            int(kid): Stored(float(value or 0), int(points or 0), bool(solo), group, c, r)
            for kid, value, points, solo, group, c, r in rows
        }


async def store_static(database: Database) -> None:
    """Store, from the static snapshot, every type, group, category and place the bodies name."""
    static = load_static()
    type_ids = {b["victim"]["ship_type_id"] for b in bodies()} | {
        a["ship_type_id"] for b in bodies() for a in b["attackers"] if a.get("ship_type_id")
    }
    types = [static.types[t] for t in sorted(type_ids) if t in static.types]
    group_ids = sorted({t.group_id for t in types if t.group_id in static.groups})
    groups = [static.groups[g] for g in group_ids]
    categories = sorted({g.category_id for g in groups})
    systems = [static.systems[s] for s in sorted({b["solar_system_id"] for b in bodies()})]
    constellations = [
        static.constellations[c] for c in sorted({s.constellation_id for s in systems})
    ]
    regions = sorted({c.region_id for c in constellations})
    async with database.transaction() as session:
        await session.execute(
            insert(Type),
            [{"type_id": t.type_id, "name": t.name, "group_id": t.group_id} for t in types],
        )
        await session.execute(
            insert(Group),
            [
                {"group_id": g.group_id, "name": g.name, "category_id": g.category_id}
                for g in groups
            ],
        )
        await session.execute(
            insert(Category),
            [{"category_id": c, "name": static.categories[c].name} for c in categories],
        )
        await session.execute(
            insert(SolarSystem),
            [
                {
                    "system_id": s.system_id,
                    "name": s.name,
                    "constellation_id": s.constellation_id,
                    "security_status": s.security_status,
                }
                for s in systems
            ],
        )
        await session.execute(
            insert(Constellation),
            [
                {"constellation_id": c.constellation_id, "name": c.name, "region_id": c.region_id}
                for c in constellations
            ],
        )
        await session.execute(
            insert(Region), [{"region_id": r, "name": static.regions[r].name} for r in regions]
        )


def group_of(type_id: int | None) -> int | None:
    """The static group of a type."""
    return load_static().group_of_type(type_id) if type_id is not None else None
