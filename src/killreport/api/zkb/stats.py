"""`/api/stats/{type}ID/{id}/`: zKillboard's statistics document, from this board's killmails.

Kills put the entity among the attackers, losses on the victim (a location has kills
only: every killmail there). All-time and recent (7 and 90 days) counts, then top lists
of the last 7 days' kills (zKillboard's `topLists`), all-time tops (`topAllTime`) and
the most valuable recent kills (`topIskKillIDs`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.api.zkb.modifiers import ENTITY_MODIFIERS, LOCATION_MODIFIERS, ModifierError
from killreport.killmails.filters import KillmailFilter, ParticipantFilter
from killreport.stats.entity_figures import Figures, TopColumn, figures, top_list, top_value_ids

RECENT_DAYS = (7, 90)
TOP_DAYS = 7
TOP_FIRST = 10
TOP_ISK_FIRST = 6
MAX_ID = 2**63 - 1
TOP_TITLES = {
    TopColumn.CHARACTER: "Top Characters",
    TopColumn.CORPORATION: "Top Corporations",
    TopColumn.ALLIANCE: "Top Alliances",
    TopColumn.SHIP_TYPE: "Top Ships",
    TopColumn.SOLAR_SYSTEM: "Top Systems",
}


def _entity_id(raw: str) -> int:
    if not raw.isdigit() or raw.startswith("0") or int(raw) > MAX_ID:
        raise ModifierError(f"{raw[:40]!r} is not a valid id (a positive number)")
    return int(raw)


def side_filters(kind: str, entity_id: int) -> tuple[KillmailFilter, KillmailFilter | None]:
    """The filters of an entity's kills and losses (None: a location loses nothing)."""
    if kind in ENTITY_MODIFIERS:
        participant = ParticipantFilter(**{ENTITY_MODIFIERS[kind]: (entity_id,)})
        return KillmailFilter(attacker=participant), KillmailFilter(victim=participant)
    if kind in LOCATION_MODIFIERS:
        if kind == "solarSystemID":
            return KillmailFilter(solar_system_ids=(entity_id,)), None
        if kind == "constellationID":
            return KillmailFilter(constellation_ids=(entity_id,)), None
        return KillmailFilter(region_ids=(entity_id,)), None
    kinds = ", ".join((*ENTITY_MODIFIERS, *LOCATION_MODIFIERS))
    raise ModifierError(f"invalid type {kind[:40]!r}: one of {kinds}")


def _since(filter: KillmailFilter, since: datetime) -> KillmailFilter:
    return KillmailFilter(
        involved=filter.involved,
        victim=filter.victim,
        attacker=filter.attacker,
        solar_system_ids=filter.solar_system_ids,
        constellation_ids=filter.constellation_ids,
        region_ids=filter.region_ids,
        since=since,
    )


def _ratio(part: int, whole: int) -> int:
    return math.ceil(100 * part / whole) if whole else 0


async def _pair(
    session: AsyncSession, kills: KillmailFilter, losses: KillmailFilter | None
) -> tuple[Figures, Figures]:
    destroyed = await figures(session, kills)
    lost = await figures(session, losses) if losses is not None else Figures(0, 0.0, 0, 0)
    return destroyed, lost


def _counts(destroyed: Figures, lost: Figures) -> dict[str, Any]:
    return {
        "shipsDestroyed": destroyed.count,
        "shipsLost": lost.count,
        "iskDestroyed": destroyed.isk,
        "iskLost": lost.isk,
        "pointsDestroyed": destroyed.points,
        "pointsLost": lost.points,
        "soloKills": destroyed.solo,
        "soloLosses": lost.solo,
    }


async def _tops(session: AsyncSession, kills: KillmailFilter) -> list[dict[str, Any]]:
    lists = []
    for column, title in TOP_TITLES.items():
        rows = await top_list(session, kills, column, first=TOP_FIRST)
        lists.append(
            {
                "type": column.value,
                "title": title,
                "values": [
                    {f"{column.value}ID": row.id, "id": row.id, "kills": row.kills} for row in rows
                ],
            }
        )
    return lists


async def entity_stats_document(
    session: AsyncSession, kind: str, raw_id: str, now: datetime
) -> dict[str, Any]:
    """zKillboard's statistics document of one entity; ModifierError for a bad type or id."""
    entity_id = _entity_id(raw_id)
    kills, losses = side_filters(kind, entity_id)
    destroyed, lost = await _pair(session, kills, losses)
    document: dict[str, Any] = {"type": kind, "id": entity_id, **_counts(destroyed, lost)}
    document["dangerRatio"] = _ratio(destroyed.count, destroyed.count + lost.count)
    document["gangRatio"] = _ratio(destroyed.count - destroyed.solo, destroyed.count)
    recent: dict[str, Any] = {}
    for days in RECENT_DAYS:
        since = now - timedelta(days=days)
        pair = await _pair(
            session, _since(kills, since), None if losses is None else _since(losses, since)
        )
        recent[f"last{days}Days"] = _counts(*pair)
    document["recent"] = recent
    week = _since(kills, now - timedelta(days=TOP_DAYS))
    document["topLists"] = await _tops(session, week)
    document["topAllTime"] = [
        {"type": entry["type"], "data": entry["values"]} for entry in await _tops(session, kills)
    ]
    document["topIskKillIDs"] = await top_value_ids(session, week, first=TOP_ISK_FIRST)
    return document
