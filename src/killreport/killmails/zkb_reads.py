"""Reads behind this board's own R2Z2: one sequence's killmail, a day's id -> hash.

The head is `queries.latest_sequence`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Killmail


async def killmail_at_sequence(session: AsyncSession, sequence: int) -> int | None:
    """The killmail id stored under `sequence`, or None when none is (yet)."""
    value = await session.scalar(select(Killmail.killmail_id).where(Killmail.sequence == sequence))
    return None if value is None else int(value)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC day as a half-open [start, end) range."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


async def day_hashes(session: AsyncSession, day: date) -> dict[int, str]:
    """Every stored killmail of a UTC day by killmail time, id -> hash, ascending by id."""
    start, end = day_bounds(day)
    rows = await session.execute(
        select(Killmail.killmail_id, Killmail.killmail_hash)
        .where(Killmail.killmail_time >= start, Killmail.killmail_time < end)
        .order_by(Killmail.killmail_id)
    )
    return {int(killmail_id): str(hash_) for killmail_id, hash_ in rows}
