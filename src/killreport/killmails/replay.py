"""Resuming a live feed: the stored killmails after a sequence that match a filter."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Killmail
from killreport.killmails.conditions import filter_conditions
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.filters import KillmailFilter
from killreport.killmails.queries import get_killmails


async def matching_after_sequence(
    session: AsyncSession,
    killmail_filter: KillmailFilter,
    after_sequence: int,
    *,
    up_to: int,
    limit: int,
) -> list[KillmailDetail]:
    """Matching killmails with after_sequence < sequence <= up_to, ascending, at most `limit`.

    The filter is the same SQL as the `killmails` query's, walking the sequence index.
    """
    statement = (
        select(Killmail.killmail_id)
        .where(
            *filter_conditions(killmail_filter),
            Killmail.sequence > after_sequence,
            Killmail.sequence <= up_to,
        )
        .order_by(Killmail.sequence)
        .limit(limit)
    )
    ids = list((await session.scalars(statement)).all())
    found = await get_killmails(session, ids)
    return sorted(found.values(), key=lambda detail: detail.sequence)
