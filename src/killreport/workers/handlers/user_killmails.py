"""The user-killmails handler: one slice of one character's ESI killmail walk.

Thin: the walk lives in `users.killmail_sync`. The message holds only the character id
and `full`; the token comes from the vault (refreshed when less than a minute remains).
A walk that is not finished (its slice ran out, the budget said wait) comes back as
`RetryLater` at the time it can go on; a revoked grant or a character synced since this
message was queued is acked without work.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from killreport.bus.contracts import UserKillmailsMessage
from killreport.bus.errors import PermanentFailure, RetryLater
from killreport.container import Container
from killreport.db.tables import UserCharacter
from killreport.sso.refresh import TokensRevoked, access_token
from killreport.sso.setup import SsoDisabled
from killreport.users.killmail_sync import KillmailSync
from killreport.workers.handler import HandlerContext

logger = logging.getLogger(__name__)


def killmail_sync(container: Container) -> KillmailSync:
    """The sync service of a container (its SSO must be on)."""
    sso = container.sso
    if isinstance(sso, SsoDisabled):
        raise PermanentFailure(sso.reason)

    async def tokens(character_id: int) -> str:
        return await access_token(container.database, sso.vault, sso.client.refresh, character_id)

    return KillmailSync(
        container.database,
        container.esi,
        tokens,
        container.events,
        slice_s=container.settings.user_sync_slice_s,
    )


async def handle_user_killmails(message: UserKillmailsMessage, ctx: HandlerContext) -> None:
    """Sync one slice of the character's killmails; ack when done or nothing is left to do."""
    character_id = message.character_id
    queued_at = ctx.delivery.enqueued_at_ms
    async with ctx.container.database.transaction() as session:
        row = await session.get(UserCharacter, character_id)
        synced_at = row.killmails_synced_at if row is not None else None
        walking = row is not None and row.sync_next_page is not None
    if (
        not message.full
        and not walking
        and synced_at is not None
        and queued_at is not None
        and synced_at.timestamp() * 1000 > queued_at
    ):
        logger.info("character %d synced after this message was queued; skipped", character_id)
        return
    try:
        outcome = await killmail_sync(ctx.container).run(character_id, full=message.full)
    except TokensRevoked as exc:
        logger.info(
            "character %d: %s; sync stopped until the pilot logs in again", character_id, exc
        )
        return
    logger.info(
        "character %d sync %s: %d list requests, %d pages, %d new, %d duplicate, %d rejected",
        character_id,
        outcome.state,
        outcome.list_requests,
        outcome.pages,
        outcome.new,
        outcome.duplicate,
        outcome.rejected,
    )
    if outcome.resume_at is not None:
        raise RetryLater(
            max(outcome.resume_at, datetime.now(UTC)),
            f"character {character_id}: walk {outcome.state} at page {outcome.pages}",
        )
