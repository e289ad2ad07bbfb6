"""Which characters a producer queues: a live refresh token (however old the access
token is) and no sync or queueing within the last 15 minutes, unless forced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import UserCharacter

# Never twice within this (seed 001: "if not synced within 15 minutes").
MIN_SYNC_INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class SyncCandidate:
    """A character a producer may queue, with what the console summary prints."""

    character_id: int
    name: str
    last_synced_at: datetime | None
    last_killmail_id: int | None


def _recent(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and now - moment < MIN_SYNC_INTERVAL


def is_due(row: UserCharacter, now: datetime) -> bool:
    """True when the character was neither synced nor queued in the last 15 minutes."""
    return not _recent(row.killmails_synced_at, now) and not _recent(row.sync_queued_at, now)


async def candidates(
    session: AsyncSession,
    now: datetime,
    *,
    force: bool = False,
    character_ids: Sequence[int] = (),
) -> list[SyncCandidate]:
    """Characters with a live grant that are due (every one of them with `force`)."""
    query = select(UserCharacter).where(
        UserCharacter.refresh_token_encrypted.is_not(None),
        UserCharacter.tokens_revoked_at.is_(None),
    )
    if character_ids:
        query = query.where(UserCharacter.character_id.in_(list(character_ids)))
    if not force:
        horizon = now - MIN_SYNC_INTERVAL
        query = query.where(
            or_(
                UserCharacter.killmails_synced_at.is_(None),
                UserCharacter.killmails_synced_at < horizon,
            ),
            or_(UserCharacter.sync_queued_at.is_(None), UserCharacter.sync_queued_at < horizon),
        )
    rows = (await session.scalars(query.order_by(UserCharacter.character_id))).all()
    return [
        SyncCandidate(r.character_id, r.character_name, r.killmails_synced_at, r.last_killmail_id)
        for r in rows
    ]


async def mark_queued(session: AsyncSession, character_ids: Sequence[int], now: datetime) -> None:
    """Remember when these characters were queued, so no producer queues them again soon."""
    if character_ids:
        await session.execute(
            update(UserCharacter)
            .where(UserCharacter.character_id.in_(list(character_ids)))
            .values(sync_queued_at=now)
        )
