"""Alliance counts: corporations, members, kills and losses, computed by aggregate queries.

The seed looped over every alliance with three queries each and never cleared departed
corporations; here one grouped query over `corporations` and one over the daily
counters give every alliance's figures, and the snapshot reuses the same function.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Alliance, Corporation, DailyEntityCounter

logger = logging.getLogger(__name__)

# `entity_kind` of an alliance in the daily counters written by ingest.
ALLIANCE_COUNTER_KIND = "alliance"
WRITE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class AllianceCounts:
    """One alliance's aggregate figures."""

    alliance_id: int
    corporation_count: int
    member_count: int
    kill_count: int
    loss_count: int


async def alliance_counts(session: AsyncSession) -> list[AllianceCounts]:
    """Figures of every stored alliance that is not closed, ascending by id."""
    alliance_ids = [
        int(value)
        for value in (
            await session.execute(
                select(Alliance.alliance_id)
                .where(Alliance.deleted_at.is_(None))
                .order_by(Alliance.alliance_id)
            )
        )
        .scalars()
        .all()
    ]
    members: dict[int, tuple[int, int]] = {}
    corp_rows = await session.execute(
        select(
            Corporation.alliance_id,
            func.count(),
            func.coalesce(func.sum(Corporation.member_count), 0),
        )
        .where(Corporation.alliance_id.is_not(None), Corporation.deleted_at.is_(None))
        .group_by(Corporation.alliance_id)
    )
    for alliance_id, corporations, member_total in corp_rows:
        if alliance_id is None:
            continue
        members[int(alliance_id)] = (int(corporations), int(member_total or 0))
    killed: dict[int, tuple[int, int]] = {}
    counter_rows = await session.execute(
        select(
            DailyEntityCounter.entity_id,
            func.coalesce(func.sum(DailyEntityCounter.kills), 0),
            func.coalesce(func.sum(DailyEntityCounter.losses), 0),
        )
        .where(DailyEntityCounter.entity_kind == ALLIANCE_COUNTER_KIND)
        .group_by(DailyEntityCounter.entity_id)
    )
    for entity_id, kills, losses in counter_rows:
        killed[int(entity_id)] = (int(kills), int(losses))
    return [
        AllianceCounts(
            alliance_id=alliance_id,
            corporation_count=members.get(alliance_id, (0, 0))[0],
            member_count=members.get(alliance_id, (0, 0))[1],
            kill_count=killed.get(alliance_id, (0, 0))[0],
            loss_count=killed.get(alliance_id, (0, 0))[1],
        )
        for alliance_id in alliance_ids
    ]


async def update_alliance_counts(session: AsyncSession, now: datetime) -> int:
    """Write every alliance's figures onto its row; return how many alliances were updated."""
    counts = await alliance_counts(session)
    table = Alliance.__table__
    assert isinstance(table, Table)
    stmt = (
        update(table)
        .where(table.c.alliance_id == bindparam("b_id"))
        .values(
            corporation_count=bindparam("b_corporations"),
            member_count=bindparam("b_members"),
            kill_count=bindparam("b_kills"),
            loss_count=bindparam("b_losses"),
            counts_updated_at=bindparam("b_now"),
        )
    )
    params: list[dict[str, Any]] = [
        {
            "b_id": c.alliance_id,
            "b_corporations": c.corporation_count,
            "b_members": c.member_count,
            "b_kills": c.kill_count,
            "b_losses": c.loss_count,
            "b_now": now,
        }
        for c in counts
    ]
    for start in range(0, len(params), WRITE_CHUNK):
        await session.execute(stmt, params[start : start + WRITE_CHUNK])
    logger.info("alliance counts updated for %d alliances", len(counts))
    return len(counts)
