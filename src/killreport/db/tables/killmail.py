"""Killmails with the victim inline, their attackers, and their items (containers keep parents)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base
from killreport.db.types import EveId, Isk, UtcDateTime


class Killmail(Base):
    """One killmail: ESI fields, the victim, and values derived and frozen at ingest."""

    __tablename__ = "killmails"

    killmail_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    killmail_hash: Mapped[str] = mapped_column(String(64))
    killmail_time: Mapped[datetime] = mapped_column(UtcDateTime)
    solar_system_id: Mapped[int] = mapped_column(EveId)
    constellation_id: Mapped[int | None] = mapped_column(EveId)
    region_id: Mapped[int | None] = mapped_column(EveId)
    security: Mapped[float | None] = mapped_column(Float)
    moon_id: Mapped[int | None] = mapped_column(EveId)
    war_id: Mapped[int | None] = mapped_column(EveId)
    location_id: Mapped[int | None] = mapped_column(EveId)

    victim_character_id: Mapped[int | None] = mapped_column(EveId)
    victim_corporation_id: Mapped[int | None] = mapped_column(EveId)
    victim_alliance_id: Mapped[int | None] = mapped_column(EveId)
    victim_faction_id: Mapped[int | None] = mapped_column(EveId)
    victim_ship_type_id: Mapped[int] = mapped_column(EveId)
    victim_ship_group_id: Mapped[int | None] = mapped_column(EveId)
    victim_damage_taken: Mapped[int] = mapped_column(BigInteger)
    position_x: Mapped[float | None] = mapped_column(Float)
    position_y: Mapped[float | None] = mapped_column(Float)
    position_z: Mapped[float | None] = mapped_column(Float)

    attacker_count: Mapped[int] = mapped_column(Integer)
    final_blow_character_id: Mapped[int | None] = mapped_column(EveId)
    fitted_value: Mapped[float | None] = mapped_column(Isk)
    dropped_value: Mapped[float | None] = mapped_column(Isk)
    destroyed_value: Mapped[float | None] = mapped_column(Isk)
    total_value: Mapped[float | None] = mapped_column(Isk)
    points: Mapped[int | None] = mapped_column(Integer)
    npc: Mapped[bool] = mapped_column(Boolean, default=False)
    solo: Mapped[bool] = mapped_column(Boolean, default=False)
    awox: Mapped[bool] = mapped_column(Boolean, default=False)
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    value_source: Mapped[str] = mapped_column(String(16), default="none")
    source: Mapped[str] = mapped_column(String(32))
    sequence: Mapped[int] = mapped_column(BigInteger, unique=True)
    ingested_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_killmails_time", "killmail_time"),
        Index("ix_killmails_victim_character", "victim_character_id", "killmail_time"),
        Index("ix_killmails_victim_corporation", "victim_corporation_id", "killmail_time"),
        Index("ix_killmails_victim_alliance", "victim_alliance_id", "killmail_time"),
        Index("ix_killmails_victim_ship_type", "victim_ship_type_id", "killmail_time"),
        Index("ix_killmails_system", "solar_system_id", "killmail_time"),
        Index("ix_killmails_region", "region_id", "killmail_time"),
        Index("ix_killmails_total_value", "total_value"),
        Index("ix_killmails_constellation", "constellation_id", "killmail_time"),
        Index("ix_killmails_victim_ship_group", "victim_ship_group_id", "killmail_time"),
    )


class Attacker(Base):
    """One attacker of a killmail, in ESI order; killmail_time is copied for indexed lists."""

    __tablename__ = "attackers"

    killmail_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    killmail_time: Mapped[datetime] = mapped_column(UtcDateTime)
    character_id: Mapped[int | None] = mapped_column(EveId)
    corporation_id: Mapped[int | None] = mapped_column(EveId)
    alliance_id: Mapped[int | None] = mapped_column(EveId)
    faction_id: Mapped[int | None] = mapped_column(EveId)
    ship_type_id: Mapped[int | None] = mapped_column(EveId)
    weapon_type_id: Mapped[int | None] = mapped_column(EveId)
    damage_done: Mapped[int] = mapped_column(BigInteger)
    final_blow: Mapped[bool] = mapped_column(Boolean)
    security_status: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        Index("ix_attackers_character", "character_id", "killmail_time"),
        Index("ix_attackers_corporation", "corporation_id", "killmail_time"),
        Index("ix_attackers_alliance", "alliance_id", "killmail_time"),
        Index("ix_attackers_ship_type", "ship_type_id", "killmail_time"),
        # Leaderboards and window scans over every attacker of a period.
        Index("ix_attackers_time", "killmail_time"),
    )


class Item(Base):
    """One item line of the victim; container contents point at their container's position."""

    __tablename__ = "items"

    killmail_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    parent_position: Mapped[int | None] = mapped_column(Integer)
    item_type_id: Mapped[int] = mapped_column(EveId)
    flag: Mapped[int] = mapped_column(Integer)
    singleton: Mapped[int] = mapped_column(SmallInteger)
    quantity_destroyed: Mapped[int | None] = mapped_column(BigInteger)
    quantity_dropped: Mapped[int | None] = mapped_column(BigInteger)
    unit_value: Mapped[float | None] = mapped_column(Isk)
