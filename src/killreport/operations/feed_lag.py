"""The feed section of `killreport status` and `processes`: totals and the R2Z2 cursor's lag.

Kept apart from `feeds` so `status` and the API do not load the follower or the roles.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from killreport.container import Container
from killreport.db.tables import FeedCursor, Killmail
from killreport.operations.feed_pause import CURSOR_NAME, is_paused
from killreport.zkb.errors import ZkbError
from killreport.zkb.r2z2 import R2Z2Client

HEAD_TIMEOUT_S = 5.0


def _age_s(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:  # SQLite hands naive values back for aggregates
        then = then.replace(tzinfo=UTC)
    return round((now - then).total_seconds(), 1)


def _feed_client(container: Container, source: str | None) -> R2Z2Client:
    """The R2Z2 client for where the feed really reads (`up --sim` records the simulator)."""
    if source is None or source.rstrip("/") == container.r2z2.base_url:
        return container.r2z2
    return R2Z2Client(container.r2z2.fetcher, source)


async def feed_status(container: Container) -> dict[str, Any]:
    """`killreport status` section: killmail totals and how far the R2Z2 cursor lags."""
    async with container.database.reading() as session:
        count, last_sequence, newest, last_ingest = (
            await session.execute(
                select(
                    func.count(),
                    func.max(Killmail.sequence),
                    func.max(Killmail.killmail_time),
                    func.max(Killmail.ingested_at),
                )
            )
        ).one()
        cursor_row = (
            await session.execute(
                select(FeedCursor.position, FeedCursor.source).where(FeedCursor.name == CURSOR_NAME)
            )
        ).one_or_none()
    cursor, source = (cursor_row[0], cursor_row[1]) if cursor_row else (None, None)
    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "killmails": int(count),
        "last_sequence": last_sequence,
        "newest_killmail_time": newest.isoformat() if newest else None,
        "last_ingested_at": last_ingest.isoformat() if last_ingest else None,
        # How far behind the game the newest stored killmail is, and since when nothing came.
        "newest_killmail_age_s": _age_s(now, newest),
        "last_ingest_age_s": _age_s(now, last_ingest),
        "r2z2_cursor": cursor,
        "r2z2_source": source,
        "r2z2_paused": await is_paused(container.database, CURSOR_NAME),
    }
    if cursor is not None:
        client = _feed_client(container, source)
        try:
            head = await asyncio.wait_for(client.sequence(), timeout=HEAD_TIMEOUT_S)
            report["r2z2_lag_entries"] = max(head - cursor + 1, 0)
        except (ZkbError, TimeoutError) as exc:
            report["r2z2_lag_entries"] = f"unknown: {str(exc) or type(exc).__name__}"
    return report
