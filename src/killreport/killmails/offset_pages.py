"""Numbered pages of killmail ids under a filter, newest id first (zKillboard's `page/N/`).

The keyset pages of `queries.list_killmails` are what our own API and pages use;
zKillboard's API numbers its pages, so tools written for it need an offset page. The
offset is bounded by the caller (zKillboard: at most 100 pages of 200).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Killmail
from killreport.killmails.conditions import filter_conditions
from killreport.killmails.filters import KillmailFilter


async def killmail_ids_page(
    session: AsyncSession, filter: KillmailFilter, *, offset: int, limit: int
) -> list[int]:
    """Ids of the matching killmails by killmail id descending, `limit` from `offset` on."""
    if offset < 0 or limit < 1:
        raise ValueError(f"offset must be >= 0 and limit >= 1, got {offset} and {limit}")
    statement = (
        select(Killmail.killmail_id)
        .where(*filter_conditions(filter))
        .order_by(Killmail.killmail_id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [int(value) for value in (await session.scalars(statement)).all()]
