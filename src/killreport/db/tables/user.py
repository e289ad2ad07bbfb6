"""Logged-in pilots and their characters; SSO tokens are stored encrypted, never in clear."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base
from killreport.db.types import EveId, UtcDateTime


class User(Base):
    """A pilot: one person with one or more EVE characters."""

    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Kept from the first schema; admins are also named by KILLREPORT_ADMIN_CHARACTER_IDS.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class UserCharacter(Base):
    """One character of a user: its SSO grant (encrypted) and its killmail sync state."""

    __tablename__ = "user_characters"
    __table_args__ = (
        Index("ix_user_characters_user", "user_id"),
        Index("ix_user_characters_synced", "killmails_synced_at"),
    )

    character_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    character_name: Mapped[str] = mapped_column(String(128))
    owner_hash: Mapped[str] = mapped_column(String(128))
    corporation_id: Mapped[int | None] = mapped_column(EveId)
    scopes: Mapped[str] = mapped_column(Text, default="")
    # Token vault: Fernet tokens under the newest secret key (see killreport.sso.vault).
    access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped by every refresh; the UPDATE that bumps it is the refresh lock.
    token_generation: Mapped[int] = mapped_column(Integer, default=0)
    # Set when SSO answered invalid_grant: no sync until the pilot logs in again.
    tokens_revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Incremental ESI sync: the newest killmail id stored and when the last walk ended.
    last_killmail_id: Mapped[int | None] = mapped_column(EveId)
    killmails_synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sync_state: Mapped[str] = mapped_column(String(16), default="never")
    sync_error: Mapped[str | None] = mapped_column(Text)
    sync_queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A walk in progress: who holds it until when, the next page, the newest id seen.
    sync_lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sync_next_page: Mapped[int | None] = mapped_column(Integer)
    sync_top_killmail_id: Mapped[int | None] = mapped_column(EveId)
    sync_full: Mapped[bool] = mapped_column(Boolean, default=False)
    # ESI's "Character does not have required role(s)" for the corporation route, remembered.
    corp_role_denied_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
