"""The zKillboard history handler: one character's killmail history per message.

Thin: the walk lives in `jobs.zkb_history`; each page is one ingest transaction, so a
retry after a failure finds what was stored as duplicates. zKillboard's and ESI's
"not before" answers become `RetryLater` at the time they name; the message is acked
by the runtime after the walk.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from killreport.bus.contracts import ZkillboardCharacterMessage
from killreport.bus.errors import RetryLater
from killreport.esi.errors import EsiErrorLimited, EsiRateLimited
from killreport.jobs.scan import MissingPublisher
from killreport.jobs.zkb_history import sync_character
from killreport.workers.handler import HandlerContext
from killreport.zkb.errors import ZkbRateLimited

logger = logging.getLogger(__name__)

# After ESI failed for some killmails (5xx, timeouts), try the whole walk again later.
FAILED_FETCH_RETRY_S = 60.0


async def handle_zkillboard_character(
    message: ZkillboardCharacterMessage, ctx: HandlerContext
) -> None:
    """Ingest a character's zKillboard history; ask ESI only for killmails not stored."""
    container = ctx.container
    try:
        summary = await sync_character(
            container.database,
            container.events,
            container.zkb_api,
            container.esi,
            message.character_id,
            publisher=MissingPublisher(ctx.bus),
        )
    except (ZkbRateLimited, EsiRateLimited, EsiErrorLimited) as exc:
        raise RetryLater(exc.retry_at, f"{type(exc).__name__}: {exc}") from exc
    if summary.retry_at is not None:
        raise RetryLater(
            summary.retry_at, f"character {message.character_id}: ESI budget spent mid-walk"
        )
    if summary.failed:
        retry_at = datetime.now(UTC) + timedelta(seconds=FAILED_FETCH_RETRY_S)
        raise RetryLater(
            retry_at,
            f"character {message.character_id}: {len(summary.failed)} ESI fetches failed, "
            f"first: {summary.failed[0]}",
        )
