"""Domain objects of a killmail: what ESI sends, what zKillboard adds, what we derive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One victim item as ESI sends it; `items` holds a container's contents."""

    item_type_id: int
    flag: int
    singleton: int
    quantity_destroyed: int | None
    quantity_dropped: int | None
    items: tuple[ItemLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Position:
    """Where the victim died, in metres from the system's star."""

    x: float
    y: float
    z: float


@dataclass(frozen=True, slots=True)
class Victim:
    """The victim block of an ESI killmail, every field kept."""

    ship_type_id: int
    damage_taken: int
    character_id: int | None
    corporation_id: int | None
    alliance_id: int | None
    faction_id: int | None
    position: Position | None
    items: tuple[ItemLine, ...]


@dataclass(frozen=True, slots=True)
class AttackerLine:
    """One attacker as ESI sends it, in ESI order."""

    damage_done: int
    final_blow: bool
    security_status: float
    character_id: int | None
    corporation_id: int | None
    alliance_id: int | None
    faction_id: int | None
    ship_type_id: int | None
    weapon_type_id: int | None


@dataclass(frozen=True, slots=True)
class ZkbBlock:
    """zKillboard's `zkb` block: values and flags computed by zKillboard."""

    location_id: int | None
    hash: str | None
    fitted_value: float | None
    dropped_value: float | None
    destroyed_value: float | None
    total_value: float | None
    points: int | None
    npc: bool | None
    solo: bool | None
    awox: bool | None
    labels: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class ParsedKillmail:
    """A valid ESI killmail with its hash, the optional zkb block, and where it came from."""

    killmail_id: int
    killmail_hash: str
    killmail_time: datetime
    solar_system_id: int
    moon_id: int | None
    war_id: int | None
    victim: Victim
    attackers: tuple[AttackerLine, ...]
    zkb: ZkbBlock | None
    source: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """Input that could not become a killmail, and why (killmail_id when it was readable)."""

    killmail_id: int | None
    reason: str
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Derived:
    """Fields derived from a killmail and the static universe at ingest."""

    constellation_id: int | None
    region_id: int | None
    security: float | None
    victim_ship_group_id: int | None
    victim_ship_category_id: int | None
    attacker_count: int
    final_blow_character_id: int | None
    npc: bool
    solo: bool
    awox: bool
    points: int | None
    labels: tuple[str, ...]
    # zKillboard's pad hash when our labels apply to a player-attacked ship (see derive).
    pad_key: str | None = None


@dataclass(frozen=True, slots=True)
class Valuation:
    """ISK values frozen at ingest; `unit_values` follow the flattened item order."""

    fitted_value: float | None
    dropped_value: float | None
    destroyed_value: float | None
    total_value: float | None
    value_source: str
    unit_values: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class MissingEntities:
    """Entity ids referenced by stored killmails that the entity tables lack, by kind."""

    ids: dict[str, frozenset[int]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """True when nothing is missing."""
        return not any(self.ids.values())

    def total(self) -> int:
        """How many ids are missing across kinds."""
        return sum(len(v) for v in self.ids.values())


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one batch did: new ids with their sequences, duplicates, rejections, missing ids."""

    created: tuple[tuple[int, int], ...]
    duplicates: tuple[int, ...]
    rejected: tuple[Rejection, ...]
    missing: MissingEntities

    @property
    def created_ids(self) -> tuple[int, ...]:
        """The killmail ids stored by this batch."""
        return tuple(killmail_id for killmail_id, _sequence in self.created)


JsonObject = dict[str, Any]
