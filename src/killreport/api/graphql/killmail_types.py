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
    """Built from a KillmailDetail (`KillmailValues(detail=...)`); only `ship` needs lines."""

    detail: strawberry.Private[KillmailDetail]
    total: float | None
    destroyed: float | None
    dropped: float | None
    fitted: float | None

    def __init__(self, detail: KillmailDetail) -> None:
        self.detail = detail
        self.total = detail.total_value
        self.destroyed = detail.destroyed_value
        self.dropped = detail.dropped_value
        self.fitted = detail.fitted_value

    @strawberry.field(description="The hull: the total less every item line.")
    async def ship(self, info: Info) -> float | None:
        return (await _with_lines(info, self.detail)).ship_value


@strawberry.type(description="The victim: resolved entities and the raw ids of the ESI body.")
class Victim:
    """Built from a KillmailDetail (`Victim(detail=...)`), every field an attribute."""

    detail: strawberry.Private[KillmailDetail]
    character_id: strawberry.ID | None
    corporation_id: strawberry.ID | None
    alliance_id: strawberry.ID | None
    faction_id: strawberry.ID | None
    ship_type_id: strawberry.ID
    damage_taken: float
    position: Position | None
    character: Character | None
    corporation: Corporation | None
    alliance: Alliance | None
    ship_type: ItemType

    def __init__(self, detail: KillmailDetail) -> None:
        d = detail
        self.detail = d
        self.character_id = _id(d.victim_character_id)
        self.corporation_id = _id(d.victim_corporation_id)
        self.alliance_id = _id(d.victim_alliance_id)
        self.faction_id = _id(d.victim_faction_id)
        self.ship_type_id = strawberry.ID(str(d.victim_ship_type_id))
        self.damage_taken = float(d.victim_damage_taken)
        self.position = (
            None
            if d.position_x is None or d.position_y is None or d.position_z is None
            else Position(x=d.position_x, y=d.position_y, z=d.position_z)
        )
        self.character = character_ref(d.victim_character_id)
        self.corporation = corporation_ref(d.victim_corporation_id)
        self.alliance = alliance_ref(d.victim_alliance_id)
        self.ship_type = item_type_ref(d.victim_ship_type_id)


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


# Resolvers of the fields that need the lines (a list page leaves them out), module-level
# so the fields keep their place in the SDL between plain attributes.


async def _attackers(root: Killmail, info: Info) -> list[Attacker]:
    detail = await _with_lines(info, root.detail)
    return [Attacker.of(a) for a in detail.attackers]


async def _final_blow(root: Killmail, info: Info) -> Attacker | None:
    detail = await _with_lines(info, root.detail)
    found = next((a for a in detail.attackers if a.final_blow), None)
    return Attacker.of(found) if found else None


async def _killmail_items(root: Killmail, info: Info) -> list[Item]:
    return _items((await _with_lines(info, root.detail)).items)


async def _fitting(root: Killmail, info: Info) -> FittingType:
    return FittingType.of((await _with_lines(info, root.detail)).fitting)


@strawberry.type(description="A killmail as ESI sent it, with what we derived at ingest.")
class Killmail:
    """Built from a KillmailDetail (`Killmail(detail=...)`): every plain field is an
    attribute filled here, so only the fields needing lines have a resolver."""

    detail: strawberry.Private[KillmailDetail]
    id: strawberry.ID
    killmail_id: int
    killmail_hash: str
    killmail_time: datetime
    sequence: int = strawberry.field(
        description="Order of arrival in this database (resume point of feeds)."
    )
    solar_system_id: strawberry.ID
    solar_system: SolarSystem
    constellation: Constellation | None
    region: Region | None
    security: float | None = strawberry.field(
        description="EVE's displayed (rounded) security of the system."
    )
    security_space: SecuritySpaceEnum | None  # type: ignore[valid-type]
    moon_id: strawberry.ID | None
    war_id: strawberry.ID | None
    location_id: strawberry.ID | None = strawberry.field(
        description="Nearest celestial (zKillboard's locationID)."
    )
    victim: Victim

    attackers: list[Attacker] = strawberry.field(resolver=_attackers)
    attacker_count: int
    final_blow: Attacker | None = strawberry.field(resolver=_final_blow)
    items: list[Item] = strawberry.field(
        resolver=_killmail_items,
        description="Top-level item lines; container contents under their container.",
    )
    fitting: FittingType = strawberry.field(resolver=_fitting)
    values: KillmailValues
    value_source: str
    points: int | None
    npc: bool
    solo: bool
    awox: bool
    labels: list[str]
    source: str
    esi_url: str
    zkillboard_url: str

    def __init__(self, detail: KillmailDetail) -> None:
        d = detail
        self.detail = d
        self.id = strawberry.ID(str(d.killmail_id))
        self.killmail_id = d.killmail_id
        self.killmail_hash = d.killmail_hash
        self.killmail_time = d.killmail_time
        self.sequence = d.sequence
        self.solar_system_id = strawberry.ID(str(d.solar_system_id))
        self.solar_system = solar_system_ref(d.solar_system_id)
        self.constellation = constellation_ref(d.constellation_id)
        self.region = region_ref(d.region_id)
        self.security = d.security
        self.security_space = d.security_space  # type: ignore[assignment]
        self.moon_id = _id(d.moon_id)
        self.war_id = _id(d.war_id)
        self.location_id = _id(d.location_id)
        self.victim = Victim(detail=d)
        self.attacker_count = d.attacker_count
        self.values = KillmailValues(detail=d)
        self.value_source = d.value_source
        self.points = d.points
        self.npc = d.npc
        self.solo = d.solo
        self.awox = d.awox
        self.labels = list(d.labels)
        self.source = d.source
        self.esi_url = d.esi_url
        self.zkillboard_url = d.zkillboard_url
