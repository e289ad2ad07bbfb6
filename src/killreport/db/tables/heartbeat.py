"""Process heartbeats of the embedded deployment (with Redis they are keys with a TTL)."""

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
