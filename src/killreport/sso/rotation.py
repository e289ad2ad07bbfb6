"""Re-encrypt every stored token under the vault's newest key (`killreport secrets rotate`)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from killreport.db.engine import Database
from killreport.db.tables import UserCharacter
from killreport.sso.vault import TokenVault

logger = logging.getLogger(__name__)


async def reencrypt_tokens(database: Database, vault: TokenVault) -> int:
    """Rotate every character's tokens to the newest key in one transaction; return rows."""
    count = 0
    async with database.transaction() as session:
        rows = (await session.scalars(select(UserCharacter))).all()
        for row in rows:
            if row.access_token_encrypted is not None:
                row.access_token_encrypted = vault.rotate(row.access_token_encrypted)
            if row.refresh_token_encrypted is not None:
                row.refresh_token_encrypted = vault.rotate(row.refresh_token_encrypted)
            count += 1
    logger.info("re-encrypted the tokens of %d characters under the newest key", count)
    return count
