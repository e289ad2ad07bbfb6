"""GraphQL types of one killmail: victim, attackers, the item tree, the fitting, values."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

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


async def _with_lines(info: Info, detail: KillmailDetail) -> KillmailDetail:
    """The detail with attackers and items, loaded by id when a list left them out."""
    if detail.has_lines:
        return detail
    full = await info.context.loaders.killmail.load(detail.killmail_id)
    return full if full is not None else detail


@strawberry.type(description="A killmail's values in ISK (null when no price was known).")
class KillmailValues:
    detail: strawberry.Private[KillmailDetail]

    @strawberry.field
    def total(self) -> float | None:
        return self.detail.total_value

    @strawberry.field
    def destroyed(self) -> float | None:
        return self.detail.destroyed_value

    @strawberry.field
    def dropped(self) -> float | None:
        return self.detail.dropped_value

    @strawberry.field
    def fitted(self) -> float | None:
        return self.detail.fitted_value

    @strawberry.field(description="The hull: the total less every item line.")
    async def ship(self, info: Info) -> float | None:
        return (await _with_lines(info, self.detail)).ship_value


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


# The types below are built with every field filled in (plain attributes, no resolvers):
# a killmail has hundreds of item lines and attackers, and a resolver per field costs
# far more than filling a field nobody asked for.


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(description="One attacker, in ESI order.")
class Attacker:
    character_id: strawberry.ID | None
    corporation_id: strawberry.ID | None
    alliance_id: strawberry.ID | None
    faction_id: strawberry.ID | None
    ship_type_id: strawberry.ID | None
    weapon_type_id: strawberry.ID | None
    damage_done: float
    final_blow: bool
    security_status: float
    character: Character | None
    corporation: Corporation | None
    alliance: Alliance | None
    ship_type: ItemType | None
    weapon_type: ItemType | None

    @classmethod
    def of(cls, a: AttackerDetail) -> Attacker:
        """The GraphQL attacker of a read-layer attacker."""
        return cls(
            character_id=_id(a.character_id),
            corporation_id=_id(a.corporation_id),
            alliance_id=_id(a.alliance_id),
            faction_id=_id(a.faction_id),
            ship_type_id=_id(a.ship_type_id),
            weapon_type_id=_id(a.weapon_type_id),
            damage_done=float(a.damage_done),
            final_blow=a.final_blow,
            security_status=a.security_status,
            character=character_ref(a.character_id),
            corporation=corporation_ref(a.corporation_id),
            alliance=alliance_ref(a.alliance_id),
            ship_type=item_type_ref(a.ship_type_id) if a.ship_type_id else None,
            weapon_type=item_type_ref(a.weapon_type_id) if a.weapon_type_id else None,
        )


@strawberry.type(description="One item line of the victim; a container's contents are `items`.")
class Item:
    item_type_id: strawberry.ID
    item_type: ItemType
    flag: int = strawberry.field(description="ESI's inventory flag.")
    slot: SlotKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="The kind of place the line occupied, from its flag."
    )
    singleton: int = strawberry.field(description="0, or 2 for a blueprint copy (ESI's singleton).")
    quantity_destroyed: float | None
    quantity_dropped: float | None
    quantity: float
    unit_value: float | None = strawberry.field(description="ISK per unit on the day of the kill.")
    value: float | None = strawberry.field(
        description="Unit value times quantity (contents not included)."
    )
    items: list[Item] = strawberry.field(description="A container's contents.")

    @classmethod
    def of(cls, item: ItemDetail) -> Item:
        """The GraphQL item (and its contents) of a read-layer item line."""
        return cls(
            item_type_id=strawberry.ID(str(item.item_type_id)),
            item_type=item_type_ref(item.item_type_id),
            flag=item.flag,
            slot=item.slot,
            singleton=item.singleton,
            quantity_destroyed=_float(item.quantity_destroyed),
            quantity_dropped=_float(item.quantity_dropped),
            quantity=float(item.quantity),
            unit_value=item.unit_value,
            value=item.value,
            items=[cls.of(child) for child in item.children],
        )


@strawberry.type(
    name="FittingSlot", description="One fitted slot: the module and the charges loaded in it."
)
class FittingSlotType:
    slot: SlotKindEnum  # type: ignore[valid-type]
    flag: int
    index: int = strawberry.field(description="0-based index in its rack.")
    module: Item | None = strawberry.field(
        description="The module (its first line when ESI lists two)."
    )
    modules: list[Item] = strawberry.field(
        description="Every line of the module (destroyed and dropped parts)."
    )
    charges: list[Item]

    @classmethod
    def of(cls, slot: FittingSlot) -> FittingSlotType:
        """The GraphQL slot of a read-layer slot."""
        modules = [Item.of(m) for m in slot.modules]
        return cls(
            slot=slot.kind,
            flag=slot.flag,
            index=slot.index,
            module=modules[0] if modules else None,
            modules=modules,
            charges=[Item.of(c) for c in slot.charges],
        )


def _items(lines: tuple[ItemDetail, ...]) -> list[Item]:
    return [Item.of(line) for line in lines]


def _slots(slots: tuple[FittingSlot, ...]) -> list[FittingSlotType]:
    return [FittingSlotType.of(s) for s in slots]


@strawberry.type(name="Fitting", description="The victim's fit by rack, and what it carried.")
class FittingType:
    high: list[FittingSlotType]
    mid: list[FittingSlotType]
    low: list[FittingSlotType]
    rig: list[FittingSlotType]
    subsystem: list[FittingSlotType]
    service: list[FittingSlotType]
    drones: list[Item]
    fighters: list[Item]
    implants: list[Item]
    boosters: list[Item]
    cargo: list[Item] = strawberry.field(
        description="Cargo, holds, hangars and anything else not fitted."
    )

    @classmethod
    def of(cls, fitting: Fitting) -> FittingType:
        """The GraphQL fitting of a read-layer fitting."""
        return cls(
            high=_slots(fitting.high),
            mid=_slots(fitting.mid),
            low=_slots(fitting.low),
            rig=_slots(fitting.rig),
            subsystem=_slots(fitting.subsystem),
            service=_slots(fitting.service),
            drones=_items(fitting.drones),
            fighters=_items(fitting.fighters),
            implants=_items(fitting.implants),
            boosters=_items(fitting.boosters),
            cargo=_items(fitting.cargo),
        )


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
    async def attackers(self, info: Info) -> list[Attacker]:
        detail = await _with_lines(info, self.detail)
        return [Attacker.of(a) for a in detail.attackers]

    @strawberry.field
    def attacker_count(self) -> int:
        return self.detail.attacker_count

    @strawberry.field
    async def final_blow(self, info: Info) -> Attacker | None:
        detail = await _with_lines(info, self.detail)
        found = next((a for a in detail.attackers if a.final_blow), None)
        return Attacker.of(found) if found else None

    @strawberry.field(description="Top-level item lines; container contents under their container.")
    async def items(self, info: Info) -> list[Item]:
        return _items((await _with_lines(info, self.detail)).items)

    @strawberry.field
    async def fitting(self, info: Info) -> FittingType:
        return FittingType.of((await _with_lines(info, self.detail)).fitting)

    @strawberry.field
    def values(self) -> KillmailValues:
        return KillmailValues(detail=self.detail)

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
