"""A character's live access token: the stored one, or a refreshed one when less than a
minute remains. The refresh holds the character's row (an UPDATE of its generation, so
a second worker waits on PostgreSQL's row lock or SQLite's write lock), calls SSO and
stores the rotated refresh token in that same transaction; the waiter then finds the new
token and does not refresh again. `invalid_grant` marks the character's tokens revoked."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from killreport.db.engine import Database
from killreport.db.tables import UserCharacter
from killreport.sso.client import TokenSet
from killreport.sso.errors import InvalidGrant, SsoError
from killreport.sso.vault import TokenVault

logger = logging.getLogger(__name__)

# Refresh when less than this remains (issue 12).
REFRESH_MARGIN = timedelta(seconds=60)

Refresher = Callable[[str], Awaitable[TokenSet]]


class TokensRevoked(SsoError):
    """The character's grant is gone (revoked at SSO, or never stored): log in again."""


async def access_token(
    database: Database,
    vault: TokenVault,
    refresh: Refresher,
    character_id: int,
    *,
    now: datetime | None = None,
) -> str:
    """A token valid for at least a minute; TokensRevoked when only a new login helps."""
    moment = now or datetime.now(UTC)
    async with database.transaction() as session:
        row = await session.get(UserCharacter, character_id)
        if row is None or row.tokens_revoked_at is not None or row.refresh_token_encrypted is None:
            raise TokensRevoked(f"character {character_id} has no live SSO grant")
        fresh = _fresh(row, moment)
        if fresh is not None:
            return vault.decrypt(fresh)
    async with database.transaction() as session:
        # The lock: every refresher of this character queues on this UPDATE.
        bump = (
            update(UserCharacter)
            .where(UserCharacter.character_id == character_id)
            .values(token_generation=UserCharacter.token_generation + 1)
        )
        await session.execute(bump)
        row = (
            await session.execute(
                select(UserCharacter)
                .where(UserCharacter.character_id == character_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        if row.tokens_revoked_at is not None or row.refresh_token_encrypted is None:
            raise TokensRevoked(f"character {character_id} has no live SSO grant")
        fresh = _fresh(row, moment)
        if fresh is not None:
            return vault.decrypt(fresh)  # another worker refreshed it while we waited
        try:
            tokens = await refresh(vault.decrypt(row.refresh_token_encrypted))
        except InvalidGrant:
            logger.warning(
                "character %d: SSO refused the refresh token; grant revoked", character_id
            )
            row.tokens_revoked_at = moment
            row.access_token_encrypted = None
            row.refresh_token_encrypted = None
            row.sync_state = "revoked"
            row.sync_error = "EVE SSO revoked the login; log in again"
            revoked = True
        else:
            revoked = False
            row.access_token_encrypted = vault.encrypt(tokens.access_token)
            if tokens.refresh_token is not None:
                row.refresh_token_encrypted = vault.encrypt(tokens.refresh_token)
            row.access_token_expires_at = tokens.expires_at
            logger.info("character %d: access token refreshed", character_id)
    if revoked:
        raise TokensRevoked(f"character {character_id}: EVE SSO revoked the login")
    return tokens.access_token


def _fresh(row: UserCharacter, now: datetime) -> bytes | None:
    expires = row.access_token_expires_at
    if (
        row.access_token_encrypted is not None
        and expires is not None
        and expires - now > REFRESH_MARGIN
    ):
        return row.access_token_encrypted
    return None
