"""Compute-only daily jobs: snapshots and alliance counts, each in its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from killreport.db.engine import Database
from killreport.stats.counts import update_alliance_counts
from killreport.stats.snapshots import snapshot_alliances, snapshot_corporations


async def take_alliance_snapshot(database: Database, now: datetime | None = None) -> int:
    """`snapshot alliances`: today's row for every open alliance; returns the row count."""
    async with database.transaction() as session:
        return await snapshot_alliances(session, now or datetime.now(UTC))


async def take_corporation_snapshot(database: Database, now: datetime | None = None) -> int:
    """`snapshot corporations`: today's row for every open corporation."""
    async with database.transaction() as session:
        return await snapshot_corporations(session, now or datetime.now(UTC))


async def refresh_alliance_counts(database: Database, now: datetime | None = None) -> int:
    """`stats alliance-counts`: corporations, members, kills and losses of every alliance."""
    async with database.transaction() as session:
        return await update_alliance_counts(session, now or datetime.now(UTC))
