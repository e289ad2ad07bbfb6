"""Server-side login states and sessions, and the per-corporation killmail sync marker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base
from killreport.db.types import EveId, UtcDateTime


class LoginState(Base):
    """One `/auth/login` in flight: its single-use state, PKCE verifier and return path."""

    __tablename__ = "login_states"
    __table_args__ = (Index("ix_login_states_expires", "expires_at"),)

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(Text, default="/")
    scopes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Session(Base):
    """A logged-in browser; the cookie holds the signed random id, this row its SHA-256."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user", "user_id"),)

    session_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CorporationKillmailSync(Base):
    """A corporation's killmails/recent walk, done once per corporation, not per director."""

    __tablename__ = "corporation_killmail_syncs"

    corporation_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    last_killmail_id: Mapped[int | None] = mapped_column(EveId)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    synced_by_character_id: Mapped[int | None] = mapped_column(EveId)
    pages: Mapped[int] = mapped_column(Integer, default=0)
