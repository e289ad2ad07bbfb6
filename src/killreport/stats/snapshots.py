"""Daily snapshots: one row per alliance or corporation per UTC day, rewritten on rerun."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.dialect import upsert
from killreport.db.tables import AllianceSnapshot, Corporation, CorporationSnapshot
from killreport.stats.counts import alliance_counts

logger = logging.getLogger(__name__)

WRITE_CHUNK = 500


def utc_day(now: datetime) -> date:
    """The UTC calendar day of an aware datetime (the seed used server-local midnight)."""
    return now.astimezone(UTC).date()


async def _write(
    session: AsyncSession, table: Any, key: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    sql_table = table.__table__
    assert isinstance(sql_table, Table)
    stmt = upsert(session.get_bind().dialect.name, sql_table, key=key)
    for start in range(0, len(rows), WRITE_CHUNK):
        await session.execute(stmt, rows[start : start + WRITE_CHUNK])


async def snapshot_alliances(session: AsyncSession, now: datetime) -> int:
    """Snapshot every open alliance's corporation and member counts for today (UTC)."""
    day = utc_day(now)
    rows = [
        {
            "alliance_id": c.alliance_id,
            "day": day,
            "corporation_count": c.corporation_count,
            "member_count": c.member_count,
            "taken_at": now,
        }
        for c in await alliance_counts(session)
    ]
    await _write(session, AllianceSnapshot, ("alliance_id", "day"), rows)
    logger.info("alliance snapshot of %s: %d alliances", day, len(rows))
    return len(rows)


async def snapshot_corporations(session: AsyncSession, now: datetime) -> int:
    """Snapshot every open corporation's member count and alliance for today (UTC)."""
    day = utc_day(now)
    result = await session.execute(
        select(Corporation.corporation_id, Corporation.member_count, Corporation.alliance_id).where(
            Corporation.deleted_at.is_(None)
        )
    )
    rows = [
        {
            "corporation_id": int(corporation_id),
            "day": day,
            "member_count": member_count,
            "alliance_id": alliance_id,
            "taken_at": now,
        }
        for corporation_id, member_count, alliance_id in result
    ]
    await _write(session, CorporationSnapshot, ("corporation_id", "day"), rows)
    logger.info("corporation snapshot of %s: %d corporations", day, len(rows))
    return len(rows)
