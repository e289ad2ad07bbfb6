"""A stored killmail as the read side sees it: every column, attackers, the item tree, a fitting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from killreport.killmails.filters import SecuritySpace, security_space
from killreport.killmails.slots import FITTED_SLOT_KINDS, SlotKind, slot_index, slot_kind

CHARGE_CATEGORY_ID = 8

ESI_KILLMAIL_URL = "https://esi.evetech.net/killmails/{id}/{hash}/"
ZKILLBOARD_URL = "https://zkillboard.com/kill/{id}/"


@dataclass(frozen=True, slots=True)
class AttackerDetail:
    """One attacker, in ESI order; `ship_group_id` comes from the static snapshot."""

    position: int
    character_id: int | None
    corporation_id: int | None
    alliance_id: int | None
    faction_id: int | None
    ship_type_id: int | None
    ship_group_id: int | None
    weapon_type_id: int | None
    damage_done: int
    final_blow: bool
    security_status: float


@dataclass(frozen=True, slots=True)
class ItemDetail:
    """One victim item line; a container's contents are its `children`."""

    position: int
    parent_position: int | None
    item_type_id: int
    category_id: int | None
    flag: int
    singleton: int
    quantity_destroyed: int | None
    quantity_dropped: int | None
    unit_value: float | None
    children: tuple[ItemDetail, ...] = ()

    @property
    def slot(self) -> SlotKind:
        """The kind of place the line occupied, from its ESI flag."""
        return slot_kind(self.flag)

    @property
    def quantity(self) -> int:
        """Destroyed plus dropped."""
        return (self.quantity_destroyed or 0) + (self.quantity_dropped or 0)

    @property
    def value(self) -> float | None:
        """The line's own value (unit value times quantity), None when unpriced."""
        return None if self.unit_value is None else round(self.unit_value * self.quantity, 2)

    @property
    def is_charge(self) -> bool:
        """True for ammunition, scripts, crystals and other charges."""
        return self.category_id == CHARGE_CATEGORY_ID


@dataclass(frozen=True, slots=True)
class FittingSlot:
    """One fitted slot: its flag, its index in its rack, the module lines and their charges.

    A slot holds one module; ESI still lists it as two lines when part of a stack was
    destroyed and part dropped, so `modules` keeps every line and `module` is the first.
    """

    kind: SlotKind
    flag: int
    index: int
    modules: tuple[ItemDetail, ...]
    charges: tuple[ItemDetail, ...]

    @property
    def module(self) -> ItemDetail | None:
        """The module in the slot (its first line), None when only charges are listed."""
        return self.modules[0] if self.modules else None


@dataclass(frozen=True, slots=True)
class Fitting:
    """The victim's fit by rack, plus what was carried beside it."""

    high: tuple[FittingSlot, ...]
    mid: tuple[FittingSlot, ...]
    low: tuple[FittingSlot, ...]
    rig: tuple[FittingSlot, ...]
    subsystem: tuple[FittingSlot, ...]
    service: tuple[FittingSlot, ...]
    drones: tuple[ItemDetail, ...]
    fighters: tuple[ItemDetail, ...]
    implants: tuple[ItemDetail, ...]
    boosters: tuple[ItemDetail, ...]
    cargo: tuple[ItemDetail, ...]


def build_fitting(items: tuple[ItemDetail, ...]) -> Fitting:
    """Group top-level item lines by rack; in each slot, charges go beside the module."""
    by_flag: dict[int, list[ItemDetail]] = {}
    loose: dict[SlotKind, list[ItemDetail]] = {}
    for item in items:
        if item.slot in FITTED_SLOT_KINDS:
            by_flag.setdefault(item.flag, []).append(item)
        else:
            loose.setdefault(item.slot, []).append(item)
    racks: dict[SlotKind, list[FittingSlot]] = {kind: [] for kind in FITTED_SLOT_KINDS}
    for flag in sorted(by_flag):
        lines = by_flag[flag]
        modules = tuple(line for line in lines if not line.is_charge)
        charges = tuple(line for line in lines if line.is_charge)
        kind = slot_kind(flag)
        racks[kind].append(FittingSlot(kind, flag, slot_index(flag), modules, charges))
    cargo_kinds = (
        SlotKind.CARGO,
        SlotKind.FLEET_HANGAR,
        SlotKind.SHIP_HANGAR,
        SlotKind.SPECIALIZED_HOLD,
        SlotKind.STRUCTURE_FUEL,
        SlotKind.OTHER,
    )
    return Fitting(
        high=tuple(racks[SlotKind.HIGH]),
        mid=tuple(racks[SlotKind.MID]),
        low=tuple(racks[SlotKind.LOW]),
        rig=tuple(racks[SlotKind.RIG]),
        subsystem=tuple(racks[SlotKind.SUBSYSTEM]),
        service=tuple(racks[SlotKind.SERVICE]),
        drones=tuple(loose.get(SlotKind.DRONE_BAY, ())),
        fighters=tuple(loose.get(SlotKind.FIGHTER_BAY, ()))
        + tuple(loose.get(SlotKind.FIGHTER_TUBE, ())),
        implants=tuple(loose.get(SlotKind.IMPLANT, ())),
        boosters=tuple(loose.get(SlotKind.BOOSTER, ())),
        cargo=tuple(line for kind in cargo_kinds for line in loose.get(kind, ())),
    )


@dataclass(frozen=True)
class KillmailDetail:
    """Every stored column of a killmail, its attackers and its items as a tree."""

    killmail_id: int
    killmail_hash: str
    killmail_time: datetime
    sequence: int
    solar_system_id: int
    constellation_id: int | None
    region_id: int | None
    security: float | None
    moon_id: int | None
    war_id: int | None
    location_id: int | None
    victim_character_id: int | None
    victim_corporation_id: int | None
    victim_alliance_id: int | None
    victim_faction_id: int | None
    victim_ship_type_id: int
    victim_ship_group_id: int | None
    victim_damage_taken: int
    position_x: float | None
    position_y: float | None
    position_z: float | None
    attacker_count: int
    final_blow_character_id: int | None
    fitted_value: float | None
    dropped_value: float | None
    destroyed_value: float | None
    total_value: float | None
    points: int | None
    npc: bool
    solo: bool
    awox: bool
    labels: tuple[str, ...]
    value_source: str
    source: str
    ingested_at: datetime
    attackers: tuple[AttackerDetail, ...]
    items: tuple[ItemDetail, ...]

    @property
    def security_space(self) -> SecuritySpace | None:
        """HIGHSEC, LOWSEC, ... from the system and its displayed security."""
        return security_space(self.solar_system_id, self.region_id, self.security)

    @cached_property
    def fitting(self) -> Fitting:
        """The victim's fit by slot, charges beside modules, drones, cargo and implants."""
        return build_fitting(self.items)

    @property
    def ship_value(self) -> float | None:
        """The hull's value: the total less every item line's value (None when unknown)."""
        if self.total_value is None:
            return None
        lines = 0.0
        stack = list(self.items)
        while stack:
            item = stack.pop()
            lines += item.value or 0.0
            stack.extend(item.children)
        return max(round(self.total_value - lines, 2), 0.0)

    @property
    def esi_url(self) -> str:
        """Where ESI serves this killmail's body."""
        return ESI_KILLMAIL_URL.format(id=self.killmail_id, hash=self.killmail_hash)

    @property
    def zkillboard_url(self) -> str:
        """The killmail's page on zKillboard."""
        return ZKILLBOARD_URL.format(id=self.killmail_id)
