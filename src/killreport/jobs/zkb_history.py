"""A character's killmail history from the zKillboard API, through the one ingest path.

Pages come newest first, 200 per page, paced by the zKillboard fetcher (one request
per `zkb_api_min_interval_s` for the whole deployment). Since 2026-06-27 an element is
the full ESI body plus `zkb`; an older element is only `{killmail_id, zkb}`, and those
are fetched from ESI, but only when the database lacks them. Each page is one ingest
batch (one transaction); a rerun after a crash or a retry finds the stored ones as
duplicates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.esi.client import EsiClient
from killreport.events.hub import EventHub
from killreport.jobs.esi_killmails import KillmailRef, fetch_killmails, stored_ids
from killreport.jobs.scan import MissingPublisher
from killreport.killmails.models import IngestResult, ParsedKillmail, Rejection
from killreport.killmails.parse import KillmailRejected, parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.zkb.api import MAX_PAGE, PAGE_SIZE, ZkbApiClient
from killreport.zkb.errors import ZkbError

logger = logging.getLogger(__name__)

SOURCE = "zkillboard"


@dataclass(slots=True)
class HistorySummary:
    """What a history sync did; `retry_at` is set when ESI's budget cut it short."""

    character_id: int
    pages: int = 0
    new: int = 0
    duplicate: int = 0
    from_esi: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missing_published: int = 0
    retry_at: datetime | None = None


def split_page(
    elements: list[Any], origin: str
) -> tuple[list[ParsedKillmail], list[KillmailRef], list[Rejection]]:
    """Full killmails, references to fetch from ESI, and rejections of one page."""
    killmails: list[ParsedKillmail] = []
    refs: list[KillmailRef] = []
    rejected: list[Rejection] = []
    for index, element in enumerate(elements):
        where = f"{origin}[{index}]"
        if isinstance(element, dict) and "victim" not in element and "esi" not in element:
            killmail_id, zkb = element.get("killmail_id"), element.get("zkb")
            hash_ = zkb.get("hash") if isinstance(zkb, dict) else None
            if type(killmail_id) is int and isinstance(hash_, str) and hash_:
                refs.append(KillmailRef(killmail_id, hash_, zkb, where))
                continue
            readable = killmail_id if type(killmail_id) is int else None
            rejected.append(Rejection(readable, "element without killmail_id or zkb.hash", where))
            continue
        try:
            killmails.append(parse_envelope(element, source=SOURCE))
        except KillmailRejected as exc:
            rejected.append(Rejection(exc.killmail_id, exc.reason, where))
    return killmails, refs, rejected


async def ingest_page(
    database: Database,
    events: EventHub | None,
    esi: EsiClient,
    elements: list[Any],
    summary: HistorySummary,
    *,
    publisher: MissingPublisher | None = None,
    origin: str = "zkillboard",
) -> None:
    """Ingest one page: its full killmails, plus the ESI bodies of unknown short elements."""
    killmails, refs, rejected = split_page(elements, origin)
    have = {k.killmail_id for k in killmails}
    stored = await stored_ids(database, [r.killmail_id for r in refs])
    wanted = [r for r in refs if r.killmail_id not in stored and r.killmail_id not in have]
    summary.duplicate += sum(1 for r in refs if r.killmail_id in stored)
    fetched = await fetch_killmails(esi, wanted, source=SOURCE)
    summary.from_esi += len(fetched.killmails)
    summary.failed.extend(f"killmail {ref.killmail_id}: {error}" for ref, error in fetched.failed)
    if fetched.retry_at is not None:
        summary.retry_at = fetched.retry_at
    queued = 0

    async def queue_missing(session: AsyncSession, result: IngestResult) -> None:
        nonlocal queued
        if publisher is not None:  # in the page's transaction: never lost after its commit
            queued = await publisher.publish_in(session, result.missing)

    result = await ingest_batch(
        database,
        events,
        [*killmails, *fetched.killmails],
        rejected=[*rejected, *fetched.rejected],
        in_transaction=queue_missing,
    )
    summary.new += len(result.created)
    summary.duplicate += len(result.duplicates)
    summary.rejected.extend(result.rejected)
    for rejection in result.rejected:
        logger.warning(
            "character %d: killmail %s rejected (%s): %s",
            summary.character_id,
            rejection.killmail_id,
            rejection.origin,
            rejection.reason,
        )
    if publisher is not None:
        publisher.committed()
        summary.missing_published += queued


async def sync_character(
    database: Database,
    events: EventHub | None,
    zkb_api: ZkbApiClient,
    esi: EsiClient,
    character_id: int,
    *,
    publisher: MissingPublisher | None = None,
    max_pages: int = MAX_PAGE,
) -> HistorySummary:
    """Walk a character's pages and ingest them; raises ZkbRateLimited when zKillboard says wait."""
    summary = HistorySummary(character_id)
    for page in range(1, min(max_pages, MAX_PAGE) + 1):
        url = zkb_api.character_url(character_id, page)
        # The raw page, not the typed one: bodies are stored exactly as zKillboard sent them.
        body = await zkb_api.fetcher.get_json(url)
        if not isinstance(body, list):
            raise ZkbError(f"unexpected body from {url}: {str(body)[:200]}", status=200, url=url)
        summary.pages += 1
        await ingest_page(
            database,
            events,
            esi,
            body,
            summary,
            publisher=publisher,
            origin=f"zkillboard:{character_id}:{page}",
        )
        if summary.retry_at is not None or len(body) < PAGE_SIZE:
            break
    logger.info(
        "character %d history: %d pages, %d new (%d from ESI), %d duplicate, %d rejected",
        character_id,
        summary.pages,
        summary.new,
        summary.from_esi,
        summary.duplicate,
        len(summary.rejected),
    )
    return summary
