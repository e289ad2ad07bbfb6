"""A killmail posted by its id and hash: fetched from ESI, stored through the one ingest path.

Pilots whose alliance forbids API scopes paste the in-game ESI link (zKillboard's
`/api/killmail/add/{id}/{hash}/`). The body comes from ESI through the deployment's
shared budget; a killmail already stored is never fetched again. Every outcome has a
status and a sentence for the person who posted it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.db.tables import Killmail
from killreport.esi.client import EsiClient
from killreport.esi.errors import (
    EsiError,
    EsiErrorLimited,
    EsiInvalid,
    EsiNotFound,
    EsiRateLimited,
)
from killreport.events.hub import EventHub
from killreport.jobs.esi_killmails import fetch_body
from killreport.jobs.scan import MissingPublisher
from killreport.killmails.links import KillmailLink
from killreport.killmails.models import IngestResult
from killreport.killmails.parse import KillmailRejected, parse_esi
from killreport.killmails.service import ingest_batch

logger = logging.getLogger(__name__)

SOURCE = "posted"


class PostStatus(StrEnum):
    """What became of a posted killmail."""

    STORED = "stored"
    ALREADY_STORED = "already_stored"
    WRONG_HASH = "wrong_hash"
    NOT_AT_ESI = "not_at_esi"
    UNKNOWN_ID = "unknown_id"
    REJECTED = "rejected"
    RETRY_LATER = "retry_later"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """The status, the killmail id, and the sentence telling the poster what happened."""

    status: PostStatus
    killmail_id: int
    message: str
    retry_at: datetime | None = None

    @property
    def stored(self) -> bool:
        """True when the killmail is on the board now (new or from before)."""
        return self.status in (PostStatus.STORED, PostStatus.ALREADY_STORED)


async def _stored_hash(database: Database, killmail_id: int) -> str | None:
    async with database.transaction() as session:
        return await session.scalar(
            select(Killmail.killmail_hash).where(Killmail.killmail_id == killmail_id)
        )


def _known(link: KillmailLink, stored_hash: str) -> PostOutcome:
    killmail_id = link.killmail_id
    if stored_hash.lower() == link.killmail_hash:
        return PostOutcome(
            PostStatus.ALREADY_STORED, killmail_id, f"Killmail {killmail_id} is already stored."
        )
    return PostOutcome(
        PostStatus.WRONG_HASH,
        killmail_id,
        f"Wrong hash: killmail {killmail_id} is stored with another hash than "
        f"{link.killmail_hash}; copy the link again from the game.",
    )


async def post_killmail(
    database: Database,
    events: EventHub | None,
    esi: EsiClient,
    link: KillmailLink,
    *,
    publisher: MissingPublisher | None = None,
) -> PostOutcome:
    """Fetch the linked killmail from ESI and store it with source `posted`."""
    killmail_id, killmail_hash = link.killmail_id, link.killmail_hash
    stored_hash = await _stored_hash(database, killmail_id)
    if stored_hash is not None:
        return _known(link, stored_hash)
    try:
        body = await fetch_body(esi, killmail_id, killmail_hash)
    except EsiInvalid as exc:
        # ESI answers 422 both for a wrong hash and for an id it never had.
        logger.info("posted killmail %d hash %s: ESI refused: %s", killmail_id, killmail_hash, exc)
        return PostOutcome(
            PostStatus.NOT_AT_ESI,
            killmail_id,
            f"ESI has no killmail {killmail_id} with hash {killmail_hash}: the hash is wrong "
            "or the id does not exist. Copy the link again from the game.",
        )
    except EsiNotFound:
        return PostOutcome(
            PostStatus.UNKNOWN_ID, killmail_id, f"ESI knows no killmail {killmail_id}."
        )
    except (EsiRateLimited, EsiErrorLimited) as exc:
        return PostOutcome(
            PostStatus.RETRY_LATER,
            killmail_id,
            "ESI asks us to slow down; please post it again in a minute.",
            retry_at=exc.retry_at,
        )
    except (EsiError, orjson.JSONDecodeError) as exc:
        logger.warning("posted killmail %d: ESI fetch failed: %s", killmail_id, exc)
        return PostOutcome(
            PostStatus.FAILED, killmail_id, "ESI could not be reached; please try again later."
        )
    try:
        parsed = parse_esi(body, killmail_hash, zkb=None, source=SOURCE)
    except KillmailRejected as exc:
        return PostOutcome(
            PostStatus.REJECTED, killmail_id, f"ESI's killmail could not be read: {exc.reason}"
        )
    if parsed.killmail_id != killmail_id:
        return PostOutcome(
            PostStatus.REJECTED,
            killmail_id,
            f"ESI answered killmail {parsed.killmail_id} for id {killmail_id}.",
        )

    async def queue_missing(session: AsyncSession, result: IngestResult) -> None:
        if publisher is not None:  # in the killmail's transaction: never lost after commit
            await publisher.publish_in(session, result.missing)

    result = await ingest_batch(database, events, [parsed], in_transaction=queue_missing)
    if publisher is not None:
        publisher.committed()
    if not result.created:  # posted twice at once: the other request stored it
        return PostOutcome(
            PostStatus.ALREADY_STORED, killmail_id, f"Killmail {killmail_id} is already stored."
        )
    logger.info("posted killmail %d stored", killmail_id)
    return PostOutcome(PostStatus.STORED, killmail_id, f"Killmail {killmail_id} is stored.")
