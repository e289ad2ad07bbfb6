"""GraphQL entity types: characters, corporations, alliances, item types, groups, the map.

An entity object is built from its id alone; everything else it shows is loaded through
the request's DataLoaders, so a page of killmails naming 100 entities costs one statement
per kind.
"""

from __future__ import annotations

import strawberry


@strawberry.type(description="A pilot.")
class Character:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


@strawberry.type(description="A corporation.")
class Corporation:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


@strawberry.type(description="An alliance.")
class Alliance:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


@strawberry.type(description="An inventory type: a ship, module, charge...")
class ItemType:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


@strawberry.type(description="An inventory group (e.g. Frigate).")
class Group:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


@strawberry.type(description="A solar system.")
class SolarSystem:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


@strawberry.type(description="A constellation.")
class Constellation:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


@strawberry.type(description="A region.")
class Region:
    id: strawberry.ID
    entity_id: strawberry.Private[int]


def character_ref(entity_id: int | None) -> Character | None:
    """The Character of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Character(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def corporation_ref(entity_id: int | None) -> Corporation | None:
    """The Corporation of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Corporation(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def alliance_ref(entity_id: int | None) -> Alliance | None:
    """The Alliance of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Alliance(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def item_type_ref(entity_id: int) -> ItemType:
    """The ItemType of an id."""
    return ItemType(id=strawberry.ID(str(entity_id)), entity_id=entity_id)


def solar_system_ref(entity_id: int) -> SolarSystem:
    """The SolarSystem of an id."""
    return SolarSystem(id=strawberry.ID(str(entity_id)), entity_id=entity_id)


def constellation_ref(entity_id: int | None) -> Constellation | None:
    """The Constellation of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Constellation(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def region_ref(entity_id: int | None) -> Region | None:
    """The Region of an id (None for no id)."""
    return (
        None if entity_id is None else Region(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )
