"""Producers of `esi_user_killmails_queue` (seed 001): login (priority 8), the CLI
(priority 5, `--force`, `--full`) and the 10-minute background job (priority 3).

Each one picks characters with a live refresh token (an access token that expired hours
ago is fine: the worker refreshes it) not synced or queued in the last 15 minutes, and
queues `{v, character_id, full}` in the transaction that marks them queued.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from killreport.bus.contracts import (
    ESI_USER_KILLMAILS_QUEUE,
    PRIORITY_LOGIN,
    PRIORITY_MANUAL,
    PRIORITY_SCHEDULED,
    UserKillmailsMessage,
)
from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database
from killreport.users.sync_state import SyncCandidate, candidates, mark_queued

logger = logging.getLogger(__name__)

__all__ = ["PRIORITY_LOGIN", "PRIORITY_MANUAL", "PRIORITY_SCHEDULED", "QueuedSync", "queue_syncs"]


@dataclass(frozen=True, slots=True)
class QueuedSync:
    """One queued character and the kind of sync it gets (for the console summary)."""

    candidate: SyncCandidate
    mode: str  # FIRST SYNC, FULL SYNC, INCREMENTAL


@dataclass(slots=True)
class QueueSummary:
    """What a producer queued, and at which priority."""

    priority: int
    queued: list[QueuedSync] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many characters were queued."""
        return len(self.queued)


def _mode(candidate: SyncCandidate, full: bool) -> str:
    if full:
        return "FULL SYNC"
    return "FIRST SYNC" if candidate.last_killmail_id is None else "INCREMENTAL"


async def queue_syncs(
    database: Database,
    bus: MessageBus,
    now: datetime,
    *,
    priority: int,
    force: bool = False,
    full: bool = False,
    character_ids: Sequence[int] = (),
) -> QueueSummary:
    """Queue every due character (all of them with `force`; only `character_ids` if given)."""
    summary = QueueSummary(priority)
    async with database.transaction() as session:
        chosen = await candidates(session, now, force=force, character_ids=character_ids)
        messages = [UserKillmailsMessage(character_id=c.character_id, full=full) for c in chosen]
        await bus.publish_in(session, ESI_USER_KILLMAILS_QUEUE, messages, priority)
        await mark_queued(session, [c.character_id for c in chosen], now)
    summary.queued = [QueuedSync(c, _mode(c, full)) for c in chosen]
    logger.info(
        "queued %d character(s) for ESI killmail sync at priority %d", summary.count, priority
    )
    return summary
