"""Retention: delete operational rows nobody will read again (a scheduled job).

Each rule is one row of RULES: the table, and which of its rows are done with as of
`now`. Killmails, entities, snapshots and dead letters are never pruned here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete

from killreport.db.engine import Database
from killreport.db.tables import HttpCache, ProcessHeartbeat, QueueConsumer

logger = logging.getLogger(__name__)

# An ESI response expired this long ago is not worth its validators any more.
HTTP_CACHE_KEEP = timedelta(days=30)
# Consumers and heartbeats unseen this long belong to processes long gone.
GONE_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """Rows of `table` matching `expired(now)` are deleted."""

    name: str
    table: Any
    expired: Callable[[datetime], ColumnElement[bool]]


RULES: tuple[RetentionRule, ...] = (
    RetentionRule(
        "http_cache",
        HttpCache,
        lambda now: HttpCache.expires_at < now - HTTP_CACHE_KEEP,
    ),
    RetentionRule(
        "queue_consumers",
        QueueConsumer,
        lambda now: QueueConsumer.seen_at_ms < int((now - GONE_AFTER).timestamp() * 1000),
    ),
    RetentionRule(
        "process_heartbeats",
        ProcessHeartbeat,
        lambda now: ProcessHeartbeat.last_seen < now - GONE_AFTER,
    ),
)


async def prune(database: Database, now: datetime) -> dict[str, int]:
    """Apply every rule in one transaction; rows deleted per table."""
    deleted: dict[str, int] = {}
    async with database.transaction() as session:
        for rule in RULES:
            result = await session.execute(delete(rule.table).where(rule.expired(now)))
            deleted[rule.name] = int(result.rowcount)  # type: ignore[attr-defined]
    logger.info("retention pruned %s", deleted)
    return deleted
