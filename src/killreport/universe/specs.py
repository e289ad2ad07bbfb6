"""ENTITY_SPECS: one row per entity kind; the generic refresh, handler and CLI iterate it.

A row says where an entity comes from (the ESI route), where it is stored (the table
and its id column), which columns are read from which body fields in both
compatibility-date shapes, which queue carries it, and which ids it refers to (so
that discovery can queue the unknown ones). Nothing here is per-kind code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from killreport.db.base import Base
from killreport.db.tables import (
    Alliance,
    Category,
    Character,
    Constellation,
    Corporation,
    Group,
    Region,
    SolarSystem,
    Type,
)
from killreport.esi.client import EsiClient
from killreport.esi.models import EsiResult
from killreport.universe.fields import (
    Field,
    field,
    percent_to_fraction,
    to_bool,
    to_datetime,
    to_float,
    to_int,
)


class EntityKind(StrEnum):
    """Every kind of ESI entity KillReport stores (the same strings as bus messages' `kind`)."""

    ALLIANCE = "alliance"
    CORPORATION = "corporation"
    CHARACTER = "character"
    TYPE = "type"
    GROUP = "group"
    CATEGORY = "category"
    SOLAR_SYSTEM = "solar_system"
    CONSTELLATION = "constellation"
    REGION = "region"


# Queue names of DESIGN §5. The bus package owns the queue table; feature code may not
# import it, so the names are repeated here and a test holds the two equal.
ALLIANCE_INFO_QUEUE: Final = "esi_alliance_info_queue"
CORPORATION_INFO_QUEUE: Final = "esi_corporation_info_queue"
CHARACTER_INFO_QUEUE: Final = "esi_character_info_queue"
TYPE_INFO_QUEUE: Final = "esi_type_info_queue"


def is_player_character(character_id: int) -> bool:
    """False for EVE System ids and NPC agents (below 1,000,000 or 3,000,000-3,999,999)."""
    return character_id >= 1_000_000 and not 3_000_000 <= character_id < 4_000_000


def is_player_corporation(corporation_id: int) -> bool:
    """False for NPC corporations (below 2,000,000), which never change."""
    return corporation_id >= 2_000_000


def _any_id(entity_id: int) -> bool:
    return entity_id > 0


_DISCOVERABLE = {
    EntityKind.CHARACTER: is_player_character,
    EntityKind.CORPORATION: is_player_corporation,
}


def discoverable(kind: EntityKind, entity_id: int) -> bool:
    """Whether an id referenced by another entity is worth fetching as `kind`."""
    return _DISCOVERABLE.get(kind, _any_id)(entity_id)


@dataclass(frozen=True, slots=True)
class Related:
    """A stored column that holds the id of another entity kind."""

    column: str
    kind: EntityKind


Fetch = Callable[[EsiClient, int], Awaitable[EsiResult[Any]]]


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """Everything generic code needs to fetch, store and discover one kind of entity."""

    kind: EntityKind
    table: type[Base]
    id_column: str
    route: str
    fetch: Fetch
    fields: tuple[Field, ...]
    queue: str
    related: tuple[Related, ...] = ()
    # How long a stored entity counts as fresh for bulk refreshes, on top of ESI's own
    # Expires (which the HTTP cache honours in every case).
    stale_after: timedelta = timedelta(days=1)

    @property
    def columns(self) -> tuple[str, ...]:
        """The stored columns read from the ESI body."""
        return tuple(f.column for f in self.fields)

    def path(self, entity_id: int) -> str:
        """The ESI path of one entity, e.g. /alliances/99000001."""
        return self.route.format(id=entity_id)

    def row(self, entity_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """The stored columns of one entity read from its ESI body (either shape)."""
        values = {f.column: f.read(body) for f in self.fields}
        values[self.id_column] = entity_id
        return values

    def related_ids(self, row: Mapping[str, Any]) -> dict[EntityKind, set[int]]:
        """The discoverable ids a stored row refers to, by kind."""
        found: dict[EntityKind, set[int]] = {}
        for rel in self.related:
            value = row.get(rel.column)
            if isinstance(value, int) and discoverable(rel.kind, value):
                found.setdefault(rel.kind, set()).add(value)
        return found


_ALLIANCE = EntitySpec(
    kind=EntityKind.ALLIANCE,
    table=Alliance,
    id_column="alliance_id",
    route="/alliances/{id}",
    fetch=EsiClient.alliance,
    fields=(
        field("name"),
        field("ticker"),
        field("executor_corporation_id", convert=to_int),
        field("faction_id", convert=to_int),
        field("date_founded", convert=to_datetime),
        field("creator_id", convert=to_int),
        field("creator_corporation_id", convert=to_int),
    ),
    queue=ALLIANCE_INFO_QUEUE,
    related=(
        Related("executor_corporation_id", EntityKind.CORPORATION),
        Related("creator_corporation_id", EntityKind.CORPORATION),
        Related("creator_id", EntityKind.CHARACTER),
    ),
)

# /corporations/{id}: compat >= 2026-07-21 has tax_rates.isk and enlisted_faction_id;
# older dates have tax_rate (a fraction) and faction_id. The newer name is tried first;
# tax_rates.isk is a percentage, stored as the fraction the older shape used.
_CORPORATION = EntitySpec(
    kind=EntityKind.CORPORATION,
    table=Corporation,
    id_column="corporation_id",
    route="/corporations/{id}",
    fetch=EsiClient.corporation,
    fields=(
        field("name"),
        field("ticker"),
        field("member_count", convert=to_int),
        field("ceo_id", convert=to_int),
        field("alliance_id", convert=to_int),
        field("tax_rate", ("tax_rates.isk", percent_to_fraction), "tax_rate", convert=to_float),
        field("date_founded", convert=to_datetime),
        field("creator_id", convert=to_int),
        field("faction_id", "enlisted_faction_id", "faction_id", convert=to_int),
        field("home_station_id", convert=to_int),
        field("war_eligible", convert=to_bool),
        field("shares", convert=to_int),
        field("url"),
        field("state"),
    ),
    queue=CORPORATION_INFO_QUEUE,
    related=(
        Related("alliance_id", EntityKind.ALLIANCE),
        Related("ceo_id", EntityKind.CHARACTER),
        Related("creator_id", EntityKind.CHARACTER),
    ),
)

# /characters/{id}: compat >= 2026-06-09 renamed title to corporation_title.
_CHARACTER = EntitySpec(
    kind=EntityKind.CHARACTER,
    table=Character,
    id_column="character_id",
    route="/characters/{id}",
    fetch=EsiClient.character,
    fields=(
        field("name"),
        field("corporation_id", convert=to_int),
        field("alliance_id", convert=to_int),
        field("faction_id", convert=to_int),
        field("birthday", convert=to_datetime),
        field("security_status", convert=to_float),
        field("title", "corporation_title", "title"),
        field("gender"),
        field("race_id", convert=to_int),
        field("bloodline_id", convert=to_int),
    ),
    queue=CHARACTER_INFO_QUEUE,
    related=(
        Related("corporation_id", EntityKind.CORPORATION),
        Related("alliance_id", EntityKind.ALLIANCE),
    ),
)

_STATIC_DATA = timedelta(days=30)

_TYPE = EntitySpec(
    kind=EntityKind.TYPE,
    table=Type,
    id_column="type_id",
    route="/universe/types/{id}",
    fetch=EsiClient.type,
    fields=(
        field("name"),
        field("description"),
        field("group_id", convert=to_int),
        field("mass", convert=to_float),
        field("volume", convert=to_float),
        field("capacity", convert=to_float),
        field("packaged_volume", convert=to_float),
        field("published", convert=to_bool),
        field("market_group_id", convert=to_int),
    ),
    queue=TYPE_INFO_QUEUE,
    related=(Related("group_id", EntityKind.GROUP),),
    stale_after=_STATIC_DATA,
)

_GROUP = EntitySpec(
    kind=EntityKind.GROUP,
    table=Group,
    id_column="group_id",
    route="/universe/groups/{id}",
    fetch=EsiClient.group,
    fields=(
        field("name"),
        field("category_id", convert=to_int),
        field("published", convert=to_bool),
    ),
    queue=TYPE_INFO_QUEUE,
    related=(Related("category_id", EntityKind.CATEGORY),),
    stale_after=_STATIC_DATA,
)

_CATEGORY = EntitySpec(
    kind=EntityKind.CATEGORY,
    table=Category,
    id_column="category_id",
    route="/universe/categories/{id}",
    fetch=EsiClient.category,
    fields=(field("name"), field("published", convert=to_bool)),
    queue=TYPE_INFO_QUEUE,
    stale_after=_STATIC_DATA,
)

_SOLAR_SYSTEM = EntitySpec(
    kind=EntityKind.SOLAR_SYSTEM,
    table=SolarSystem,
    id_column="system_id",
    route="/universe/systems/{id}",
    fetch=EsiClient.system,
    fields=(
        field("name"),
        field("constellation_id", convert=to_int),
        field("security_status", convert=to_float),
        field("security_class"),
        field("star_id", convert=to_int),
    ),
    queue=TYPE_INFO_QUEUE,
    related=(Related("constellation_id", EntityKind.CONSTELLATION),),
    stale_after=_STATIC_DATA,
)

_CONSTELLATION = EntitySpec(
    kind=EntityKind.CONSTELLATION,
    table=Constellation,
    id_column="constellation_id",
    route="/universe/constellations/{id}",
    fetch=EsiClient.constellation,
    fields=(field("name"), field("region_id", convert=to_int)),
    queue=TYPE_INFO_QUEUE,
    related=(Related("region_id", EntityKind.REGION),),
    stale_after=_STATIC_DATA,
)

_REGION = EntitySpec(
    kind=EntityKind.REGION,
    table=Region,
    id_column="region_id",
    route="/universe/regions/{id}",
    fetch=EsiClient.region,
    fields=(field("name"), field("description")),
    queue=TYPE_INFO_QUEUE,
    stale_after=_STATIC_DATA,
)

ENTITY_SPECS: Final[Mapping[EntityKind, EntitySpec]] = MappingProxyType(
    {
        spec.kind: spec
        for spec in (
            _ALLIANCE,
            _CORPORATION,
            _CHARACTER,
            _TYPE,
            _GROUP,
            _CATEGORY,
            _SOLAR_SYSTEM,
            _CONSTELLATION,
            _REGION,
        )
    }
)


def spec_for(kind: str) -> EntitySpec:
    """The spec of an entity kind given by name; ValueError names the known kinds."""
    try:
        return ENTITY_SPECS[EntityKind(kind)]
    except ValueError as exc:
        known = ", ".join(k.value for k in EntityKind)
        raise ValueError(f"unknown entity kind {kind!r}; expected one of {known}") from exc
