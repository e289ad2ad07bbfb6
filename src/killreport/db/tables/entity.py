"""EVE entities fetched from ESI: each row knows when it was fetched, when it expires, its ETag."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Computed, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from killreport.db.base import Base
from killreport.db.types import EveId, UtcDateTime


def folded(column: str, length: int) -> Mapped[str | None]:
    """A lower-cased copy of a name column, computed by the database, for search."""
    return mapped_column(String(length), Computed(f"lower({column})"))


def name_search_index(table: str, column: str = "name_folded") -> Index:
    """The search index of a folded name: pg_trgm GIN on PostgreSQL, a B-tree on SQLite.

    The trigram index serves equality, prefix and substring matches alike; SQLite's
    B-tree serves equality and prefix ranges (substrings scan it).
    """
    return Index(
        f"ix_{table}_{column}",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )


def ticker_search_index(table: str) -> Index:
    """A B-tree on a folded ticker (equality and prefix); pattern ops for LIKE on PostgreSQL."""
    return Index(
        f"ix_{table}_ticker_folded",
        "ticker_folded",
        postgresql_ops={"ticker_folded": "text_pattern_ops"},
    )


class Freshness:
    """Columns every ESI-backed entity carries: fetch time, expiry, validators, deletion."""

    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    etag: Mapped[str | None] = mapped_column(String(128))
    last_modified: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Alliance(Freshness, Base):
    """An alliance (ESI /alliances/{id}); deleted_at set when ESI answers 404 (closed)."""

    __tablename__ = "alliances"

    alliance_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    ticker: Mapped[str | None] = mapped_column(String(16))
    name_folded: Mapped[str | None] = folded("name", 128)
    ticker_folded: Mapped[str | None] = folded("ticker", 16)
    executor_corporation_id: Mapped[int | None] = mapped_column(EveId)
    faction_id: Mapped[int | None] = mapped_column(EveId)
    date_founded: Mapped[datetime | None] = mapped_column(UtcDateTime)
    creator_id: Mapped[int | None] = mapped_column(EveId)
    creator_corporation_id: Mapped[int | None] = mapped_column(EveId)
    # Denormalised by `killreport stats alliance-counts` (daily): corporations and their
    # members from `corporations`, kills and losses from the daily counters.
    corporation_count: Mapped[int | None] = mapped_column(Integer)
    member_count: Mapped[int | None] = mapped_column(Integer)
    kill_count: Mapped[int | None] = mapped_column(Integer)
    loss_count: Mapped[int | None] = mapped_column(Integer)
    counts_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (name_search_index("alliances"), ticker_search_index("alliances"))


class AllianceCorporation(Base):
    """Current membership of a corporation in an alliance, from /alliances/{id}/corporations."""

    __tablename__ = "alliance_corporations"

    alliance_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    corporation_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_alliance_corporations_corporation", "corporation_id"),)


class Corporation(Freshness, Base):
    """A corporation (ESI /corporations/{id}), both compatibility-date shapes folded in."""

    __tablename__ = "corporations"

    corporation_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    ticker: Mapped[str | None] = mapped_column(String(16))
    name_folded: Mapped[str | None] = folded("name", 128)
    ticker_folded: Mapped[str | None] = folded("ticker", 16)
    member_count: Mapped[int | None] = mapped_column(Integer)
    ceo_id: Mapped[int | None] = mapped_column(EveId)
    alliance_id: Mapped[int | None] = mapped_column(EveId)
    tax_rate: Mapped[float | None] = mapped_column(Float)
    date_founded: Mapped[datetime | None] = mapped_column(UtcDateTime)
    creator_id: Mapped[int | None] = mapped_column(EveId)
    faction_id: Mapped[int | None] = mapped_column(EveId)
    home_station_id: Mapped[int | None] = mapped_column(EveId)
    war_eligible: Mapped[bool | None] = mapped_column(Boolean)
    shares: Mapped[int | None] = mapped_column(EveId)
    url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("ix_corporations_alliance", "alliance_id"),
        name_search_index("corporations"),
        ticker_search_index("corporations"),
    )


class Character(Freshness, Base):
    """A character (ESI /characters/{id}) with its latest known affiliation."""

    __tablename__ = "characters"

    character_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    name_folded: Mapped[str | None] = folded("name", 128)
    corporation_id: Mapped[int | None] = mapped_column(EveId)
    alliance_id: Mapped[int | None] = mapped_column(EveId)
    faction_id: Mapped[int | None] = mapped_column(EveId)
    birthday: Mapped[datetime | None] = mapped_column(UtcDateTime)
    security_status: Mapped[float | None] = mapped_column(Float)
    title: Mapped[str | None] = mapped_column(Text)
    gender: Mapped[str | None] = mapped_column(String(16))
    race_id: Mapped[int | None] = mapped_column(Integer)
    bloodline_id: Mapped[int | None] = mapped_column(Integer)
    affiliation_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_characters_corporation", "corporation_id"),
        Index("ix_characters_alliance", "alliance_id"),
        name_search_index("characters"),
    )


class Type(Freshness, Base):
    """An inventory type (ship, module, charge...)."""

    __tablename__ = "types"

    type_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(255))
    name_folded: Mapped[str | None] = folded("name", 255)
    description: Mapped[str | None] = mapped_column(Text)
    group_id: Mapped[int | None] = mapped_column(EveId)
    mass: Mapped[float | None] = mapped_column(Float)
    volume: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[float | None] = mapped_column(Float)
    packaged_volume: Mapped[float | None] = mapped_column(Float)
    published: Mapped[bool | None] = mapped_column(Boolean)
    market_group_id: Mapped[int | None] = mapped_column(EveId)

    __table_args__ = (Index("ix_types_group", "group_id"), name_search_index("types"))


class Group(Freshness, Base):
    """An inventory group."""

    __tablename__ = "groups"

    group_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(255))
    category_id: Mapped[int | None] = mapped_column(EveId)
    published: Mapped[bool | None] = mapped_column(Boolean)


class Category(Freshness, Base):
    """An inventory category."""

    __tablename__ = "categories"

    category_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(255))
    published: Mapped[bool | None] = mapped_column(Boolean)


class SolarSystem(Freshness, Base):
    """A solar system with its true (unrounded) security status."""

    __tablename__ = "solar_systems"

    system_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    name_folded: Mapped[str | None] = folded("name", 128)
    constellation_id: Mapped[int | None] = mapped_column(EveId)
    security_status: Mapped[float | None] = mapped_column(Float)
    security_class: Mapped[str | None] = mapped_column(String(16))
    star_id: Mapped[int | None] = mapped_column(EveId)

    __table_args__ = (name_search_index("solar_systems"),)


class Constellation(Freshness, Base):
    """A constellation."""

    __tablename__ = "constellations"

    constellation_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    name_folded: Mapped[str | None] = folded("name", 128)
    region_id: Mapped[int | None] = mapped_column(EveId)

    __table_args__ = (name_search_index("constellations"),)


class Region(Freshness, Base):
    """A region."""

    __tablename__ = "regions"

    region_id: Mapped[int] = mapped_column(EveId, primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(128))
    name_folded: Mapped[str | None] = folded("name", 128)
    description: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (name_search_index("regions"),)
