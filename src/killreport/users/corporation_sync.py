"""A director's corporation killmails: `GET /corporations/{id}/killmails/recent`, walked
once per corporation per 15 minutes (not once per director); ESI's "required role" 403
is remembered on the character for a day."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update

from killreport.db.tables import CorporationKillmailSync, UserCharacter
from killreport.esi.errors import EsiError, EsiForbidden
from killreport.sso.client import CORPORATION_KILLMAIL_SCOPE
from killreport.users.killmail_sync import KillmailSync, SyncOutcome, Walk
from killreport.users.sync_state import MIN_SYNC_INTERVAL

logger = logging.getLogger(__name__)

ROLE_MEMORY = timedelta(days=1)


async def sync_corporation(
    sync: KillmailSync, character_id: int, token: str, outcome: SyncOutcome, started: float
) -> None:
    """Walk the character's corporation's list if it has the scope and may (Director)."""
    now = sync.clock()
    async with sync.database.transaction() as session:
        row = await session.get(UserCharacter, character_id)
        if row is None or CORPORATION_KILLMAIL_SCOPE not in row.scopes.split():
            return
        if row.corp_role_denied_until is not None and row.corp_role_denied_until > now:
            return
        corporation_id = row.corporation_id
    if corporation_id is None:
        corporation_id = (await sync.esi.character(character_id)).value.corporation_id
        async with sync.database.transaction() as session:
            await session.execute(
                update(UserCharacter)
                .where(UserCharacter.character_id == character_id)
                .values(corporation_id=corporation_id)
            )
    async with sync.database.transaction() as session:
        marker = await session.get(CorporationKillmailSync, corporation_id)
        if marker is not None and marker.synced_at and now - marker.synced_at < MIN_SYNC_INTERVAL:
            return  # another director of this corporation synced it just now
        last_id = marker.last_killmail_id if marker is not None else None
    walk = Walk(
        route_name="corporation_recent_killmails",
        params={"corporation_id": corporation_id},
        caller=f"char:{character_id}",
        last_id=last_id,
        full=last_id is None,
        next_page=1,
        top_id=None,
    )
    before = outcome.pages
    try:
        await sync.walk(walk, token, outcome, started, corporation_id=corporation_id)
    except EsiForbidden as exc:
        logger.info(
            "character %d: corporation %d killmails refused (%s); not asked again for a day",
            character_id,
            corporation_id,
            exc,
        )
        async with sync.database.transaction() as session:
            await session.execute(
                update(UserCharacter)
                .where(UserCharacter.character_id == character_id)
                .values(corp_role_denied_until=now + ROLE_MEMORY)
            )
    except EsiError as exc:
        logger.warning("character %d: corporation killmails failed: %s", character_id, exc)
    outcome.corporation_pages += outcome.pages - before
