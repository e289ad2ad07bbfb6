"""Reads behind this board's own R2Z2: the head sequence, one sequence, a day's id -> hash."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Killmail
from killreport.killmails.repository import last_sequence


async def head_sequence(session: AsyncSession) -> int:
    """The newest stored sequence (0 on an empty board); R2Z2's `sequence.json`."""
    return await last_sequence(session)


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
