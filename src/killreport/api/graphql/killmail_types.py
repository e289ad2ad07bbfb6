"""GraphQL types of one killmail: victim, attackers, the item tree, the fitting, values."""

from __future__ import annotations

from datetime import datetime

import strawberry

from killreport.api.graphql.entity_types import (
    Alliance,
    Character,
    Constellation,
    Corporation,
    ItemType,
    Region,
    SolarSystem,
    alliance_ref,
    character_ref,
    constellation_ref,
    corporation_ref,
    item_type_ref,
    region_ref,
    solar_system_ref,
)
from killreport.api.graphql.inputs import SecuritySpaceEnum, SlotKindEnum
from killreport.killmails.detail import (
    AttackerDetail,
    Fitting,
    FittingSlot,
    ItemDetail,
    KillmailDetail,
)


def _id(value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="Where the victim died, in metres from the system's star.")
class Position:
    x: float
    y: float
    z: float


@strawberry.type(description="A killmail's values in ISK (null when no price was known).")
class KillmailValues:
    total: float | None
    destroyed: float | None
    dropped: float | None
    fitted: float | None
    ship: float | None


@strawberry.type(description="The victim: resolved entities and the raw ids of the ESI body.")
class Victim:
    detail: strawberry.Private[KillmailDetail]

    @strawberry.field
    def character_id(self) -> strawberry.ID | None:
        return _id(self.detail.victim_character_id)

    @strawberry.field
    def corporation_id(self) -> strawberry.ID | None:
        return _id(self.detail.victim_corporation_id)

    @strawberry.field
    def alliance_id(self) -> strawberry.ID | None:
        return _id(self.detail.victim_alliance_id)

    @strawberry.field
    def faction_id(self) -> strawberry.ID | None:
        return _id(self.detail.victim_faction_id)

    @strawberry.field
    def ship_type_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.detail.victim_ship_type_id))

    @strawberry.field
    def damage_taken(self) -> float:
        return float(self.detail.victim_damage_taken)

    @strawberry.field
    def position(self) -> Position | None:
        d = self.detail
        if d.position_x is None or d.position_y is None or d.position_z is None:
            return None
        return Position(x=d.position_x, y=d.position_y, z=d.position_z)

    @strawberry.field
    def character(self) -> Character | None:
        return character_ref(self.detail.victim_character_id)

    @strawberry.field
    def corporation(self) -> Corporation | None:
        return corporation_ref(self.detail.victim_corporation_id)

    @strawberry.field
    def alliance(self) -> Alliance | None:
        return alliance_ref(self.detail.victim_alliance_id)

    @strawberry.field
    def ship_type(self) -> ItemType:
        return item_type_ref(self.detail.victim_ship_type_id)


@strawberry.type(description="One attacker, in ESI order.")
class Attacker:
    detail: strawberry.Private[AttackerDetail]

    @strawberry.field
    def character_id(self) -> strawberry.ID | None:
        return _id(self.detail.character_id)

    @strawberry.field
    def corporation_id(self) -> strawberry.ID | None:
        return _id(self.detail.corporation_id)

    @strawberry.field
    def alliance_id(self) -> strawberry.ID | None:
        return _id(self.detail.alliance_id)

    @strawberry.field
    def faction_id(self) -> strawberry.ID | None:
        return _id(self.detail.faction_id)

    @strawberry.field
    def ship_type_id(self) -> strawberry.ID | None:
        return _id(self.detail.ship_type_id)

    @strawberry.field
    def weapon_type_id(self) -> strawberry.ID | None:
        return _id(self.detail.weapon_type_id)

    @strawberry.field
    def damage_done(self) -> float:
        return float(self.detail.damage_done)

    @strawberry.field
    def final_blow(self) -> bool:
        return self.detail.final_blow

    @strawberry.field
    def security_status(self) -> float:
        return self.detail.security_status

    @strawberry.field
    def character(self) -> Character | None:
        return character_ref(self.detail.character_id)

    @strawberry.field
    def corporation(self) -> Corporation | None:
        return corporation_ref(self.detail.corporation_id)

    @strawberry.field
    def alliance(self) -> Alliance | None:
        return alliance_ref(self.detail.alliance_id)

    @strawberry.field
    def ship_type(self) -> ItemType | None:
        return item_type_ref(self.detail.ship_type_id) if self.detail.ship_type_id else None

    @strawberry.field
    def weapon_type(self) -> ItemType | None:
        weapon = self.detail.weapon_type_id
        return item_type_ref(weapon) if weapon else None


@strawberry.type(description="One item line of the victim; a container's contents are `items`.")
class Item:
    detail: strawberry.Private[ItemDetail]

    @strawberry.field
    def item_type_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.detail.item_type_id))

    @strawberry.field
    def item_type(self) -> ItemType:
        return item_type_ref(self.detail.item_type_id)

    @strawberry.field(description="ESI's inventory flag.")
    def flag(self) -> int:
        return self.detail.flag

    @strawberry.field(description="The kind of place the line occupied, from its flag.")
    def slot(self) -> SlotKindEnum:  # type: ignore[valid-type]
        return self.detail.slot

    @strawberry.field(description="0, or 2 for a blueprint copy (ESI's singleton).")
    def singleton(self) -> int:
        return self.detail.singleton

    @strawberry.field
    def quantity_destroyed(self) -> float | None:
        q = self.detail.quantity_destroyed
        return None if q is None else float(q)

    @strawberry.field
    def quantity_dropped(self) -> float | None:
        q = self.detail.quantity_dropped
        return None if q is None else float(q)

    @strawberry.field
    def quantity(self) -> float:
        return float(self.detail.quantity)

    @strawberry.field(description="ISK per unit on the day of the kill.")
    def unit_value(self) -> float | None:
        return self.detail.unit_value

    @strawberry.field(description="Unit value times quantity (contents not included).")
    def value(self) -> float | None:
        return self.detail.value

    @strawberry.field(description="A container's contents.")
    def items(self) -> list[Item]:
        return [Item(detail=child) for child in self.detail.children]


@strawberry.type(
    name="FittingSlot", description="One fitted slot: the module and the charges loaded in it."
)
class FittingSlotType:
    detail: strawberry.Private[FittingSlot]

    @strawberry.field
    def slot(self) -> SlotKindEnum:  # type: ignore[valid-type]
        return self.detail.kind

    @strawberry.field
    def flag(self) -> int:
        return self.detail.flag

    @strawberry.field(description="0-based index in its rack.")
    def index(self) -> int:
        return self.detail.index

    @strawberry.field(description="The module (its first line when ESI lists two).")
    def module(self) -> Item | None:
        module = self.detail.module
        return Item(detail=module) if module else None

    @strawberry.field(description="Every line of the module (destroyed and dropped parts).")
    def modules(self) -> list[Item]:
        return [Item(detail=m) for m in self.detail.modules]

    @strawberry.field
    def charges(self) -> list[Item]:
        return [Item(detail=c) for c in self.detail.charges]


def _items(lines: tuple[ItemDetail, ...]) -> list[Item]:
    return [Item(detail=line) for line in lines]


def _slots(slots: tuple[FittingSlot, ...]) -> list[FittingSlotType]:
    return [FittingSlotType(detail=s) for s in slots]


@strawberry.type(name="Fitting", description="The victim's fit by rack, and what it carried.")
class FittingType:
    detail: strawberry.Private[Fitting]

    @strawberry.field
    def high(self) -> list[FittingSlotType]:
        return _slots(self.detail.high)

    @strawberry.field
    def mid(self) -> list[FittingSlotType]:
        return _slots(self.detail.mid)

    @strawberry.field
    def low(self) -> list[FittingSlotType]:
        return _slots(self.detail.low)

    @strawberry.field
    def rig(self) -> list[FittingSlotType]:
        return _slots(self.detail.rig)

    @strawberry.field
    def subsystem(self) -> list[FittingSlotType]:
        return _slots(self.detail.subsystem)

    @strawberry.field
    def service(self) -> list[FittingSlotType]:
        return _slots(self.detail.service)

    @strawberry.field
    def drones(self) -> list[Item]:
        return _items(self.detail.drones)

    @strawberry.field
    def fighters(self) -> list[Item]:
        return _items(self.detail.fighters)

    @strawberry.field
    def implants(self) -> list[Item]:
        return _items(self.detail.implants)

    @strawberry.field
    def boosters(self) -> list[Item]:
        return _items(self.detail.boosters)

    @strawberry.field(description="Cargo, holds, hangars and anything else not fitted.")
    def cargo(self) -> list[Item]:
        return _items(self.detail.cargo)


@strawberry.type(description="A killmail as ESI sent it, with what we derived at ingest.")
class Killmail:
    detail: strawberry.Private[KillmailDetail]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.detail.killmail_id))

    @strawberry.field
    def killmail_id(self) -> int:
        return self.detail.killmail_id

    @strawberry.field
    def killmail_hash(self) -> str:
        return self.detail.killmail_hash

    @strawberry.field
    def killmail_time(self) -> datetime:
        return self.detail.killmail_time

    @strawberry.field(description="Order of arrival in this database (resume point of feeds).")
    def sequence(self) -> int:
        return self.detail.sequence

    @strawberry.field
    def solar_system_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.detail.solar_system_id))

    @strawberry.field
    def solar_system(self) -> SolarSystem:
        return solar_system_ref(self.detail.solar_system_id)

    @strawberry.field
    def constellation(self) -> Constellation | None:
        return constellation_ref(self.detail.constellation_id)

    @strawberry.field
    def region(self) -> Region | None:
        return region_ref(self.detail.region_id)

    @strawberry.field(description="EVE's displayed (rounded) security of the system.")
    def security(self) -> float | None:
        return self.detail.security

    @strawberry.field
    def security_space(self) -> SecuritySpaceEnum | None:  # type: ignore[valid-type]
        return self.detail.security_space

    @strawberry.field
    def moon_id(self) -> strawberry.ID | None:
        return _id(self.detail.moon_id)

    @strawberry.field
    def war_id(self) -> strawberry.ID | None:
        return _id(self.detail.war_id)

    @strawberry.field(description="Nearest celestial (zKillboard's locationID).")
    def location_id(self) -> strawberry.ID | None:
        return _id(self.detail.location_id)

    @strawberry.field
    def victim(self) -> Victim:
        return Victim(detail=self.detail)

    @strawberry.field
    def attackers(self) -> list[Attacker]:
        return [Attacker(detail=a) for a in self.detail.attackers]

    @strawberry.field
    def attacker_count(self) -> int:
        return self.detail.attacker_count

    @strawberry.field
    def final_blow(self) -> Attacker | None:
        found = next((a for a in self.detail.attackers if a.final_blow), None)
        return Attacker(detail=found) if found else None

    @strawberry.field(description="Top-level item lines; container contents under their container.")
    def items(self) -> list[Item]:
        return _items(self.detail.items)

    @strawberry.field
    def fitting(self) -> FittingType:
        return FittingType(detail=self.detail.fitting)

    @strawberry.field
    def values(self) -> KillmailValues:
        d = self.detail
        return KillmailValues(
            total=d.total_value,
            destroyed=d.destroyed_value,
            dropped=d.dropped_value,
            fitted=d.fitted_value,
            ship=d.ship_value,
        )

    @strawberry.field
    def value_source(self) -> str:
        return self.detail.value_source

    @strawberry.field
    def points(self) -> int | None:
        return self.detail.points

    @strawberry.field
    def npc(self) -> bool:
        return self.detail.npc

    @strawberry.field
    def solo(self) -> bool:
        return self.detail.solo

    @strawberry.field
    def awox(self) -> bool:
        return self.detail.awox

    @strawberry.field
    def labels(self) -> list[str]:
        return list(self.detail.labels)

    @strawberry.field
    def source(self) -> str:
        return self.detail.source

    @strawberry.field
    def esi_url(self) -> str:
        return self.detail.esi_url

    @strawberry.field
    def zkillboard_url(self) -> str:
        return self.detail.zkillboard_url
