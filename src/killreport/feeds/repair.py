"""Fill gaps in the feed from R2Z2's daily history (`/history/YYYYMMDD.json`, id -> hash).

The history lists every killmail of a UTC day; only ids the database lacks are fetched
from ESI, in batches that each go through the one ingest path. ESI's budget errors
wait until the time ESI names; a wrong hash is a per-killmail rejection with a reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.esi.client import EsiClient
from killreport.events.hub import EventHub
from killreport.jobs.esi_killmails import KillmailRef, fetch_killmails, stored_ids
from killreport.jobs.scan import MissingPublisher
from killreport.killmails.models import IngestResult, Rejection
from killreport.killmails.service import ingest_batch
from killreport.zkb.r2z2 import R2Z2Client

logger = logging.getLogger(__name__)

SOURCE = "r2z2-history"
BATCH_SIZE = 500

Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class RepairSummary:
    """What a repair did: listed in the history, stored already, new, rejected, failed."""

    day: date | None
    listed: int = 0
    stored_already: int = 0
    new: int = 0
    duplicate: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missing_published: int = 0

    @property
    def fetched(self) -> int:
        """Ids asked of ESI."""
        return self.listed - self.stored_already


async def repair_ids(
    database: Database,
    events: EventHub | None,
    esi: EsiClient,
    history: Mapping[int, str],
    *,
    publisher: MissingPublisher | None = None,
    origin: str = "history",
    sleep: Sleep = asyncio.sleep,
    day: date | None = None,
) -> RepairSummary:
    """Fetch from ESI and ingest every listed killmail the database lacks."""
    summary = RepairSummary(day, listed=len(history))
    stored = await stored_ids(database, list(history))
    summary.stored_already = len(stored)
    wanted = [
        KillmailRef(killmail_id, killmail_hash, None, f"{origin}:{killmail_id}")
        for killmail_id, killmail_hash in sorted(history.items())
        if killmail_id not in stored
    ]
    for start in range(0, len(wanted), BATCH_SIZE):
        pending = wanted[start : start + BATCH_SIZE]
        while pending:
            fetched = await fetch_killmails(esi, pending, source=SOURCE)
            queued = 0

            async def queue_missing(session: AsyncSession, result: IngestResult) -> None:
                nonlocal queued
                if publisher is not None:  # in the batch's transaction: never lost
                    queued = await publisher.publish_in(session, result.missing)

            result = await ingest_batch(
                database,
                events,
                fetched.killmails,
                rejected=fetched.rejected,
                in_transaction=queue_missing,
            )
            summary.new += len(result.created)
            summary.duplicate += len(result.duplicates)
            summary.rejected.extend(result.rejected)
            summary.failed.extend(f"killmail {r.killmail_id}: {e}" for r, e in fetched.failed)
            if publisher is not None:
                publisher.committed()
                summary.missing_published += queued
            pending = fetched.pending
            if pending and fetched.retry_at is not None:
                wait_s = max((fetched.retry_at - datetime.now(UTC)).total_seconds(), 0.0)
                logger.warning(
                    "repair %s: ESI budget spent, %d killmails wait %.0f s",
                    origin,
                    len(pending),
                    wait_s,
                )
                await sleep(wait_s)
    logger.info(
        "repair %s: %d listed, %d stored already, %d new, %d rejected, %d failed",
        origin,
        summary.listed,
        summary.stored_already,
        summary.new,
        len(summary.rejected),
        len(summary.failed),
    )
    return summary


async def repair_day(
    database: Database,
    events: EventHub | None,
    r2z2: R2Z2Client,
    esi: EsiClient,
    day: date,
    *,
    publisher: MissingPublisher | None = None,
) -> RepairSummary:
    """Repair one UTC day from its history (ZkbNotFound when the day has no dump)."""
    history = await r2z2.history(day)
    return await repair_ids(
        database,
        events,
        esi,
        history,
        publisher=publisher,
        origin=f"history:{day:%Y%m%d}",
        day=day,
    )
