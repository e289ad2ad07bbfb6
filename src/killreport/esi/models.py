"""Typed ESI bodies (OpenAPI 2026-08-18 shapes): unknown fields ignored, required ones checked."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class EsiModel(BaseModel):
    """Base of every ESI body: frozen, tolerant of fields ESI adds later."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Alliance(EsiModel):
    """GET /alliances/{alliance_id}."""

    name: str
    ticker: str
    creator_id: int
    creator_corporation_id: int
    date_founded: datetime
    executor_corporation_id: int | None = None
    faction_id: int | None = None


class TaxRates(EsiModel):
    """Corporation tax rates (compatibility date 2026-07-21)."""

    isk: float
    loyalty_point: float


class Corporation(EsiModel):
    """GET /corporations/{corporation_id}; fields of both compatibility dates."""

    name: str
    ticker: str
    member_count: int
    alliance_id: int | None = None
    ceo_id: int | None = None
    creator_id: int | None = None
    date_founded: datetime | None = None
    description: str | None = None
    faction_id: int | None = None
    enlisted_faction_id: int | None = None
    home_station_id: int | None = None
    shares: int | None = None
    tax_rate: float | None = None
    tax_rates: TaxRates | None = None
    state: str | None = None
    type: str | None = None
    url: str | None = None
    war_eligible: bool | None = None


class Character(EsiModel):
    """GET /characters/{character_id}."""

    name: str
    corporation_id: int
    birthday: datetime
    bloodline_id: int
    race_id: int
    gender: str
    alliance_id: int | None = None
    faction_id: int | None = None
    description: str | None = None
    security_status: float | None = None
    achievement_score: int | None = None
    corporation_title: str | None = None
    title: str | None = None


class Affiliation(EsiModel):
    """One row of POST /characters/affiliation."""

    character_id: int
    corporation_id: int
    alliance_id: int | None = None
    faction_id: int | None = None


NameCategory = Literal[
    "alliance",
    "character",
    "constellation",
    "corporation",
    "inventory_type",
    "region",
    "solar_system",
    "station",
    "faction",
]


class ResolvedName(EsiModel):
    """One row of POST /universe/names."""

    id: int
    name: str
    category: NameCategory


class IdName(EsiModel):
    """An id and its exact name."""

    id: int
    name: str


class ResolvedIds(EsiModel):
    """POST /universe/ids: only the categories that matched are present."""

    agents: tuple[IdName, ...] = ()
    alliances: tuple[IdName, ...] = ()
    characters: tuple[IdName, ...] = ()
    constellations: tuple[IdName, ...] = ()
    corporations: tuple[IdName, ...] = ()
    factions: tuple[IdName, ...] = ()
    inventory_types: tuple[IdName, ...] = ()
    regions: tuple[IdName, ...] = ()
    stations: tuple[IdName, ...] = ()
    systems: tuple[IdName, ...] = ()


class InvType(EsiModel):
    """GET /universe/types/{type_id} (the fields a killboard uses)."""

    type_id: int
    name: str
    group_id: int
    published: bool
    description: str = ""
    market_group_id: int | None = None
    mass: float | None = None
    volume: float | None = None
    capacity: float | None = None
    packaged_volume: float | None = None
    portion_size: int | None = None
    radius: float | None = None
    icon_id: int | None = None
    graphic_id: int | None = None


class InvGroup(EsiModel):
    """GET /universe/groups/{group_id}."""

    group_id: int
    name: str
    category_id: int
    published: bool
    types: tuple[int, ...] = ()


class InvCategory(EsiModel):
    """GET /universe/categories/{category_id}."""

    category_id: int
    name: str
    published: bool
    groups: tuple[int, ...] = ()


class Position(EsiModel):
    """A point in space, metres."""

    x: float
    y: float
    z: float


class SolarSystem(EsiModel):
    """GET /universe/systems/{system_id} (without planets, stargates and stations)."""

    system_id: int
    name: str
    constellation_id: int
    security_status: float
    position: Position
    security_class: str | None = None
    star_id: int | None = None


class Constellation(EsiModel):
    """GET /universe/constellations/{constellation_id}."""

    constellation_id: int
    name: str
    region_id: int
    position: Position
    systems: tuple[int, ...] = ()


class Region(EsiModel):
    """GET /universe/regions/{region_id}."""

    region_id: int
    name: str
    description: str | None = None
    constellations: tuple[int, ...] = ()


class KillmailItem(EsiModel):
    """An item of the victim; `items` holds a container's contents (one level deep)."""

    flag: int
    item_type_id: int
    singleton: int
    quantity_destroyed: int | None = None
    quantity_dropped: int | None = None
    items: tuple[KillmailItem, ...] = ()


class Victim(EsiModel):
    """The victim of a killmail."""

    ship_type_id: int
    damage_taken: int
    character_id: int | None = None
    corporation_id: int | None = None
    alliance_id: int | None = None
    faction_id: int | None = None
    position: Position | None = None
    items: tuple[KillmailItem, ...] = ()


class Attacker(EsiModel):
    """One attacker of a killmail."""

    damage_done: int
    final_blow: bool
    security_status: float
    character_id: int | None = None
    corporation_id: int | None = None
    alliance_id: int | None = None
    faction_id: int | None = None
    ship_type_id: int | None = None
    weapon_type_id: int | None = None


class Killmail(EsiModel):
    """GET /killmails/{killmail_id}/{killmail_hash}."""

    killmail_id: int
    killmail_time: datetime
    solar_system_id: int
    victim: Victim
    attackers: tuple[Attacker, ...] = Field(min_length=1)
    moon_id: int | None = None
    war_id: int | None = None


class KillmailRef(EsiModel):
    """One row of /characters|corporations/{id}/killmails/recent."""

    killmail_id: int
    killmail_hash: str


class MarketPrice(EsiModel):
    """One row of GET /markets/prices."""

    type_id: int
    adjusted_price: float | None = None
    average_price: float | None = None


class ServerStatus(EsiModel):
    """GET /status."""

    players: int
    server_version: str
    start_time: datetime
    vip: bool | None = None


class EsiResult(BaseModel, Generic[T]):
    """A typed body with what the HTTP cache knows of it.

    `unchanged` is True when ESI answered 304 or the cached copy had not yet expired
    (no request was sent); callers may then skip their writes.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    value: T
    unchanged: bool
    expires_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
