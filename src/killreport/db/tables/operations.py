"""Operations: process heartbeats (with Redis they are keys with a TTL) and feed pauses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base
from killreport.db.types import UtcDateTime


class ProcessHeartbeat(Base):
    """One running process: what it is, where, and when it was last heard from."""

    __tablename__ = "process_heartbeats"

    # "<host>:<pid>:<role>" so two hosts with the same pid never collide.
    process_id: Mapped[str] = mapped_column(String(320), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    queues: Mapped[list[str]] = mapped_column(JSON)
    in_flight: Mapped[int] = mapped_column(Integer)
    handled: Mapped[int] = mapped_column(BigInteger)


class FeedPause(Base):
    """A paused feed: while its row exists the follower reads nothing (`killreport feed pause`)."""

    __tablename__ = "feed_pauses"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    paused_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paused_by: Mapped[str] = mapped_column(String(255))
