"""Growth history and aggregates: daily snapshots, per-entity daily counters, market prices."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base
from killreport.db.types import EveId, Isk, UtcDateTime


class AllianceSnapshot(Base):
    """One row per alliance per UTC day; rerunning the same day updates it."""

    __tablename__ = "alliance_snapshots"

    alliance_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    corporation_count: Mapped[int] = mapped_column(Integer)
    member_count: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CorporationSnapshot(Base):
    """One row per corporation per UTC day; rerunning the same day updates it."""

    __tablename__ = "corporation_snapshots"

    corporation_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    member_count: Mapped[int | None] = mapped_column(Integer)
    alliance_id: Mapped[int | None] = mapped_column(EveId)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DailyEntityCounter(Base):
    """Kills and losses of one entity on one UTC day; only new killmails ever add to it."""

    __tablename__ = "daily_entity_counters"

    entity_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    entity_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kills: Mapped[int] = mapped_column(Integer, default=0)
    losses: Mapped[int] = mapped_column(Integer, default=0)
    isk_destroyed: Mapped[float] = mapped_column(Isk, default=0)
    isk_lost: Mapped[float] = mapped_column(Isk, default=0)
    points: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_daily_entity_counters_day", "day", "entity_kind"),)


class MarketPrice(Base):
    """ESI /markets/prices for one type on one UTC day."""

    __tablename__ = "market_prices"

    type_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    average_price: Mapped[float | None] = mapped_column(Isk)
    adjusted_price: Mapped[float | None] = mapped_column(Isk)
