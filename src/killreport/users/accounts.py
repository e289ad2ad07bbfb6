"""Users and their characters: record a login, link alts, hand a sold character over,
and read a user with each character's sync state (for `me` and the pages)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Character, Session, User, UserCharacter
from killreport.sso.client import TokenSet
from killreport.sso.validation import CharacterToken
from killreport.sso.vault import TokenVault

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoginRecord:
    """What a login did: whose character it is now, and whether it was linked or sold."""

    user_id: int
    character_id: int
    character_name: str
    linked: bool
    sold: bool
    synced_at: datetime | None


@dataclass(frozen=True, slots=True)
class CharacterView:
    """One character of a user as `me` shows it (never a token)."""

    character_id: int
    name: str
    corporation_id: int | None
    scopes: tuple[str, ...]
    last_synced_at: datetime | None
    sync_state: str
    sync_error: str | None
    needs_login: bool
    is_admin: bool


@dataclass(frozen=True, slots=True)
class Account:
    """A user and their characters."""

    user_id: int
    is_admin: bool
    characters: tuple[CharacterView, ...]

    @property
    def character_ids(self) -> tuple[int, ...]:
        """Ids of every character of the user."""
        return tuple(c.character_id for c in self.characters)


async def _drop_if_empty(session: AsyncSession, user_id: int) -> None:
    left = await session.scalar(
        select(func.count()).select_from(UserCharacter).where(UserCharacter.user_id == user_id)
    )
    if not left:
        # A user without characters can log in as no one: its sessions go with it
        # (explicitly: SQLite may run without foreign key enforcement).
        await session.execute(delete(Session).where(Session.user_id == user_id))
        await session.execute(delete(User).where(User.user_id == user_id))


async def _known_corporation(session: AsyncSession, character_id: int) -> int | None:
    return await session.scalar(
        select(Character.corporation_id).where(Character.character_id == character_id)
    )


async def record_login(
    session: AsyncSession,
    token: CharacterToken,
    tokens: TokenSet,
    vault: TokenVault,
    *,
    current_user_id: int | None,
    now: datetime,
) -> LoginRecord:
    """Store the character and its encrypted grant under the right user (in `session`)."""
    character_id = token.character_id
    row = await session.get(UserCharacter, character_id)
    if current_user_id is not None and await session.get(User, current_user_id) is None:
        current_user_id = None
    sold = row is not None and row.owner_hash != token.owner_hash
    previous_user = row.user_id if row is not None else None
    if current_user_id is not None:
        user_id = current_user_id
    elif row is not None and not sold:
        user_id = row.user_id
    else:
        user = User(is_admin=False, created_at=now)
        session.add(user)
        await session.flush()
        user_id = user.user_id
    if row is None:
        row = UserCharacter(
            character_id=character_id,
            user_id=user_id,
            created_at=now,
            token_generation=0,
            sync_state="never",
            sync_full=False,
        )
        session.add(row)
    elif sold:
        logger.warning(
            "character %d changed owner: old grant and link to user %d dropped",
            character_id,
            row.user_id,
        )
        # A new owner starts afresh: nothing of the old owner's grant or sync survives.
        row.last_killmail_id = None
        row.killmails_synced_at = None
        row.sync_state = "never"
        row.sync_queued_at = None
        row.sync_next_page = None
        row.sync_top_killmail_id = None
        row.sync_lease_until = None
        row.corp_role_denied_until = None
    row.user_id = user_id
    row.character_name = token.character_name
    row.owner_hash = token.owner_hash
    row.scopes = " ".join(sorted(token.scopes))
    row.access_token_encrypted = vault.encrypt(tokens.access_token)
    row.refresh_token_encrypted = (
        vault.encrypt(tokens.refresh_token) if tokens.refresh_token else None
    )
    row.access_token_expires_at = tokens.expires_at
    row.tokens_revoked_at = None
    if row.sync_state == "revoked":
        row.sync_state, row.sync_error = "never", None
    row.last_login_at = now
    if row.corporation_id is None:
        row.corporation_id = await _known_corporation(session, character_id)
    await session.flush()
    owner = await session.get(User, user_id)
    if owner is not None:
        owner.last_login_at = now
    if previous_user is not None and previous_user != user_id:
        await _drop_if_empty(session, previous_user)
    linked = previous_user is None and current_user_id is not None
    logger.info("login character_id=%d user_id=%d sold=%s", character_id, user_id, sold)
    return LoginRecord(
        user_id=user_id,
        character_id=character_id,
        character_name=token.character_name,
        linked=linked or (previous_user is not None and previous_user != user_id),
        sold=sold,
        synced_at=row.killmails_synced_at,
    )


async def load_account(
    session: AsyncSession, user_id: int, admin_ids: Collection[int]
) -> Account | None:
    """A user with every character, or None when the user is gone."""
    user = await session.get(User, user_id)
    if user is None:
        return None
    rows = (
        await session.scalars(
            select(UserCharacter)
            .where(UserCharacter.user_id == user_id)
            .order_by(UserCharacter.created_at, UserCharacter.character_id)
        )
    ).all()
    characters = tuple(
        CharacterView(
            character_id=row.character_id,
            name=row.character_name,
            corporation_id=row.corporation_id,
            scopes=tuple(row.scopes.split()),
            last_synced_at=row.killmails_synced_at,
            sync_state=row.sync_state,
            sync_error=row.sync_error,
            needs_login=row.tokens_revoked_at is not None or row.refresh_token_encrypted is None,
            is_admin=row.character_id in admin_ids,
        )
        for row in rows
    )
    is_admin = user.is_admin or any(c.is_admin for c in characters)
    return Account(user_id=user_id, is_admin=is_admin, characters=characters)
