"""The static snapshot shipped with the package: types, groups, categories and the map.

Derived fields of a killmail (region, security, ship category) never wait for ESI: they
come from this snapshot; workers refresh anything newer later. Loaded lazily, once.
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

SNAPSHOT_FILE = "static.json.gz"


@dataclass(frozen=True, slots=True)
class StaticType:
    """An inventory type as the snapshot knows it."""

    type_id: int
    group_id: int | None
    name: str | None
    published: bool
    mass: float | None
    volume: float | None
    capacity: float | None
    market_group_id: int | None


@dataclass(frozen=True, slots=True)
class StaticGroup:
    """An inventory group."""

    group_id: int
    category_id: int
    name: str
    published: bool


@dataclass(frozen=True, slots=True)
class StaticCategory:
    """An inventory category."""

    category_id: int
    name: str
    published: bool


@dataclass(frozen=True, slots=True)
class StaticSystem:
    """A solar system with its true security status and position."""

    system_id: int
    constellation_id: int
    name: str
    security_status: float
    security_class: str | None
    x: float
    y: float
    z: float


@dataclass(frozen=True, slots=True)
class StaticConstellation:
    """A constellation."""

    constellation_id: int
    region_id: int
    name: str


@dataclass(frozen=True, slots=True)
class StaticRegion:
    """A region."""

    region_id: int
    name: str


@dataclass(frozen=True, slots=True)
class StaticFaction:
    """An NPC faction."""

    faction_id: int
    name: str
    corporation_id: int | None
    militia_corporation_id: int | None
    solar_system_id: int | None


@dataclass(frozen=True, slots=True)
class StaticFlag:
    """An item location flag (the `flag` of a killmail item)."""

    flag_id: int
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class StaticUniverse:
    """Every static table, keyed by id."""

    types: dict[int, StaticType]
    groups: dict[int, StaticGroup]
    categories: dict[int, StaticCategory]
    systems: dict[int, StaticSystem]
    constellations: dict[int, StaticConstellation]
    regions: dict[int, StaticRegion]
    factions: dict[int, StaticFaction]
    flags: dict[int, StaticFlag]

    def group_of_type(self, type_id: int) -> int | None:
        """The group id of a type, or None when the type is unknown."""
        found = self.types.get(type_id)
        return found.group_id if found else None

    def category_of_type(self, type_id: int) -> int | None:
        """The category id of a type, or None when the type or its group is unknown."""
        group_id = self.group_of_type(type_id)
        group = self.groups.get(group_id) if group_id is not None else None
        return group.category_id if group else None

    def region_of_system(self, system_id: int) -> int | None:
        """The region id of a solar system, or None when unknown."""
        system = self.systems.get(system_id)
        constellation = self.constellations.get(system.constellation_id) if system else None
        return constellation.region_id if constellation else None


def _rows(snapshot: dict[str, Any], name: str, cls: type[Any]) -> dict[int, Any]:
    return {row[0]: cls(*row) for row in snapshot[name]}


@functools.cache
def load_static() -> StaticUniverse:
    """Read the snapshot from the package (once per process)."""
    raw = resources.files("killreport.universe").joinpath("data", SNAPSHOT_FILE).read_bytes()
    snapshot = json.loads(gzip.decompress(raw))
    return StaticUniverse(
        types=_rows(snapshot, "types", StaticType),
        groups=_rows(snapshot, "groups", StaticGroup),
        categories=_rows(snapshot, "categories", StaticCategory),
        systems=_rows(snapshot, "systems", StaticSystem),
        constellations=_rows(snapshot, "constellations", StaticConstellation),
        regions=_rows(snapshot, "regions", StaticRegion),
        factions=_rows(snapshot, "factions", StaticFaction),
        flags=_rows(snapshot, "flags", StaticFlag),
    )


def _stream_rows(text: str, name: str) -> Iterator[list[Any]]:
    """The rows of one top-level table of the snapshot text, decoded one at a time."""
    # The last occurrence: the first is the table's entry in "columns".
    index = text.rindex(f'"{name}":[') + len(name) + 4
    decoder = json.JSONDecoder()
    while text[index] != "]":
        row, index = decoder.raw_decode(text, index)
        yield row
        if text[index] == ",":
            index += 1


@functools.cache
def load_ingest_static() -> StaticUniverse:
    """The snapshot as ingest derives from it: types, groups, categories and the map only.

    Types keep only their group, names are left out, and rows are decoded one at a
    time: about a third of `load_static`'s memory, for the import's preparer processes.
    """
    raw = resources.files("killreport.universe").joinpath("data", SNAPSHOT_FILE).read_bytes()
    text = gzip.decompress(raw).decode()
    types = {
        row[0]: StaticType(row[0], row[1], None, bool(row[3]), None, None, None, None)
        for row in _stream_rows(text, "types")
    }
    groups = {
        row[0]: StaticGroup(row[0], row[1], "", bool(row[3]))
        for row in _stream_rows(text, "groups")
    }
    systems = {
        row[0]: StaticSystem(row[0], row[1], "", row[3], row[4], row[5], row[6], row[7])
        for row in _stream_rows(text, "systems")
    }
    constellations = {
        row[0]: StaticConstellation(row[0], row[1], "")
        for row in _stream_rows(text, "constellations")
    }
    snapshot = {
        name: list(_stream_rows(text, name))
        for name in ("categories", "regions", "factions", "flags")
    }
    return StaticUniverse(
        types=types,
        groups=groups,
        categories=_rows(snapshot, "categories", StaticCategory),
        systems=systems,
        constellations=constellations,
        regions=_rows(snapshot, "regions", StaticRegion),
        factions=_rows(snapshot, "factions", StaticFaction),
        flags=_rows(snapshot, "flags", StaticFlag),
    )
