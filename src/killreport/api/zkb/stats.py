"""`/api/stats/{type}ID/{id}/`: zKillboard's statistics document, from this board's stats.

Figures and top lists are the read side's own (`stats.summary.entity_stats`,
`stats.top.top_list`), the ones the pages and GraphQL show: all time, the last 7 and 90
days, `topLists` over the last 7 days as zKillboard builds them, `topAllTime`, and the
most valuable kills of the last 7 days (`topIskKillIDs`). A place's killmails all
count as its kills; a place has no losses.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.api.zkb.modifiers import ModifierError
from killreport.killmails.filters import KillmailFilter, KillmailOrder, ParticipantFilter
from killreport.killmails.queries import list_killmails
from killreport.stats.entities import SIDES, EntityKind
from killreport.stats.summary import EntityStats, entity_stats
from killreport.stats.top import TopBy, top_list
from killreport.stats.windows import StatsWindow, window_bounds

# zKillboard's type names -> this board's entity kinds (one table).
KINDS: dict[str, EntityKind] = {
    "characterID": EntityKind.CHARACTER,
    "corporationID": EntityKind.CORPORATION,
    "allianceID": EntityKind.ALLIANCE,
    "shipTypeID": EntityKind.SHIP_TYPE,
    "groupID": EntityKind.GROUP,
    "solarSystemID": EntityKind.SOLAR_SYSTEM,
    "constellationID": EntityKind.CONSTELLATION,
    "regionID": EntityKind.REGION,
}
# zKillboard's top lists (type, title) -> this board's groupings.
TOP_LISTS: tuple[tuple[str, str, TopBy], ...] = (
    ("character", "Top Characters", TopBy.PILOTS),
    ("corporation", "Top Corporations", TopBy.CORPORATIONS),
    ("alliance", "Top Alliances", TopBy.ALLIANCES),
    ("shipType", "Top Ships", TopBy.SHIPS),
    ("solarSystem", "Top Systems", TopBy.SYSTEMS),
)
RECENT = {"last7Days": StatsWindow.LAST_7_DAYS, "last90Days": StatsWindow.LAST_90_DAYS}
TOP_FIRST = 10
TOP_ISK_FIRST = 6
MAX_ID = 2**63 - 1


def _entity_id(raw: str) -> int:
    if not raw.isdigit() or raw.startswith("0") or int(raw) > MAX_ID:
        raise ModifierError(f"{raw[:40]!r} is not a valid id (a positive number)")
    return int(raw)


def _kind(name: str) -> EntityKind:
    kind = KINDS.get(name)
    if kind is None:
        raise ModifierError(f"invalid type {name[:40]!r}: one of {', '.join(KINDS)}")
    return kind


def kills_filter(kind: EntityKind, entity_id: int) -> KillmailFilter:
    """The killmails that are the entity's kills: it among the attackers, or the place."""
    side = SIDES[kind]
    ids: Any = (entity_id,)
    if side.is_location:
        return KillmailFilter(**{side.filter_field: ids})
    return KillmailFilter(attacker=ParticipantFilter(**{side.filter_field: ids}))


def _counts(stats: EntityStats) -> dict[str, Any]:
    return {
        "shipsDestroyed": stats.kills,
        "shipsLost": stats.losses,
        "iskDestroyed": round(stats.isk_destroyed, 2),
        "iskLost": round(stats.isk_lost, 2),
        "pointsDestroyed": stats.points,
        "soloKills": stats.solo_kills,
    }


def _ratio(part: int, whole: int) -> int:
    return math.ceil(100 * part / whole) if whole else 0


async def _tops(
    session: AsyncSession, kind: EntityKind, entity_id: int, window: StatsWindow, now: datetime
) -> list[dict[str, Any]]:
    lists = []
    for name, title, by in TOP_LISTS:
        rows = await top_list(session, kind, entity_id, by, window, None, now, TOP_FIRST)
        values = [
            {f"{name}ID": row.id, "id": row.id, "kills": row.kills, "isk": round(row.isk, 2)}
            for row in rows
        ]
        lists.append({"type": name, "title": title, "values": values})
    return lists


async def entity_stats_document(
    session: AsyncSession, type_name: str, raw_id: str, now: datetime
) -> dict[str, Any]:
    """zKillboard's statistics document of one entity; ModifierError for a bad type or id."""
    kind, entity_id = _kind(type_name), _entity_id(raw_id)
    all_time = await entity_stats(session, kind, entity_id, StatsWindow.ALL_TIME, None, now)
    document: dict[str, Any] = {"type": type_name, "id": entity_id, **_counts(all_time)}
    document["dangerRatio"] = _ratio(all_time.kills, all_time.kills + all_time.losses)
    document["gangRatio"] = _ratio(all_time.kills - all_time.solo_kills, all_time.kills)
    document["iskEfficiency"] = all_time.isk_efficiency
    document["recent"] = {
        name: _counts(await entity_stats(session, kind, entity_id, window, None, now))
        for name, window in RECENT.items()
    }
    week = StatsWindow.LAST_7_DAYS
    document["topLists"] = await _tops(session, kind, entity_id, week, now)
    document["topAllTime"] = [
        {"type": entry["type"], "data": entry["values"]}
        for entry in await _tops(session, kind, entity_id, StatsWindow.ALL_TIME, now)
    ]
    since, _until = window_bounds(week, None, now)
    base = kills_filter(kind, entity_id)
    recent_kills = KillmailFilter(
        attacker=base.attacker,
        solar_system_ids=base.solar_system_ids,
        constellation_ids=base.constellation_ids,
        region_ids=base.region_ids,
        since=since,
    )
    page = await list_killmails(
        session, recent_kills, order=KillmailOrder.VALUE_DESC, first=TOP_ISK_FIRST, with_lines=False
    )
    document["topIskKillIDs"] = [k.killmail_id for k in page.items]
    return document
