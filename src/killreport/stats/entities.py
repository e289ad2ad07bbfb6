"""The entity kinds that have stats, and where each one stands in a killmail.

One table, `SIDES`, says for every kind which attacker column names it (its kills),
which killmail column names it as the victim (its losses) or as the place, and which
daily counters hold it. Summary, top lists and leaderboards all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select

from killreport.db.tables import Attacker, Killmail
from killreport.killmails.conditions import types_of_groups
from killreport.killmails.filters import KillmailFilter, ParticipantFilter


class EntityKind(StrEnum):
    """Every kind of entity with killmails, stats and top lists."""

    CHARACTER = "CHARACTER"
    CORPORATION = "CORPORATION"
    ALLIANCE = "ALLIANCE"
    SHIP_TYPE = "SHIP_TYPE"
    GROUP = "GROUP"
    SOLAR_SYSTEM = "SOLAR_SYSTEM"
    CONSTELLATION = "CONSTELLATION"
    REGION = "REGION"


@dataclass(frozen=True, slots=True)
class Side:
    """How one kind of entity appears in killmails.

    A participant kind has an attacker column (None for GROUP, found through the
    attacker's ship type) and a victim column; a place has a location column, and every
    killmail there counts as one of its kills. `counter_kind` names its daily counters;
    `filter_field` the KillmailFilter field (a place's) or ParticipantFilter field naming it.
    """

    filter_field: str
    attacker_column: str | None = None
    victim_column: str | None = None
    location_column: str | None = None
    counter_kind: str | None = None
    by_ship_group: bool = False

    @property
    def is_location(self) -> bool:
        """True for systems, constellations and regions."""
        return self.location_column is not None


SIDES: dict[EntityKind, Side] = {
    EntityKind.CHARACTER: Side(
        "character_ids", "character_id", "victim_character_id", counter_kind="character"
    ),
    EntityKind.CORPORATION: Side(
        "corporation_ids", "corporation_id", "victim_corporation_id", counter_kind="corporation"
    ),
    EntityKind.ALLIANCE: Side(
        "alliance_ids", "alliance_id", "victim_alliance_id", counter_kind="alliance"
    ),
    EntityKind.SHIP_TYPE: Side("ship_type_ids", "ship_type_id", "victim_ship_type_id"),
    EntityKind.GROUP: Side(
        "ship_group_ids", victim_column="victim_ship_group_id", by_ship_group=True
    ),
    EntityKind.SOLAR_SYSTEM: Side("solar_system_ids", location_column="solar_system_id"),
    EntityKind.CONSTELLATION: Side("constellation_ids", location_column="constellation_id"),
    EntityKind.REGION: Side("region_ids", location_column="region_id"),
}

LOCATION_KINDS = frozenset(kind for kind, side in SIDES.items() if side.is_location)


def entity_filter(kind: EntityKind, entity_id: int) -> KillmailFilter:
    """The killmail filter with the entity fixed: involved on either side, or the place."""
    side = SIDES[kind]
    ids: Any = (entity_id,)
    if side.is_location:
        return KillmailFilter(**{side.filter_field: ids})
    return KillmailFilter(involved=ParticipantFilter(**{side.filter_field: ids}))


def in_window(
    column: Any, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """Conditions holding a time column within [since, until)."""
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def location_condition(kind: EntityKind, entity_id: int) -> ColumnElement[bool]:
    """The killmails condition placing a killmail in a system, constellation or region."""
    column = SIDES[kind].location_column
    if column is None:
        raise ValueError(f"{kind} is not a location")
    return getattr(Killmail, column) == entity_id  # type: ignore[no-any-return]


def attacker_rows(
    kind: EntityKind,
    entity_id: int,
    since: datetime | None,
    until: datetime | None,
    *columns: Any,
) -> Select[Any]:
    """SELECT columns of the attacker rows that are this entity (for a place: all there).

    Walks the attacker index of the kind by (id, killmail_time); for a place, the
    killmails index by (place, killmail_time), then attackers by their key.
    """
    side = SIDES[kind]
    if side.is_location:
        return (
            select(*columns)
            .select_from(Attacker)
            .join(Killmail, Killmail.killmail_id == Attacker.killmail_id)
            .where(
                location_condition(kind, entity_id),
                *in_window(Killmail.killmail_time, since, until),
            )
        )
    if side.by_ship_group:
        # The static snapshot's types, as the killmail filter and ingest's victim ship
        # group use: the same group whatever the types table holds yet.
        condition = Attacker.ship_type_id.in_(types_of_groups((entity_id,)))
    else:
        assert side.attacker_column is not None
        condition = getattr(Attacker, side.attacker_column) == entity_id
    return (
        select(*columns)
        .select_from(Attacker)
        .where(condition, *in_window(Attacker.killmail_time, since, until))
    )


def kill_ids(
    kind: EntityKind, entity_id: int, since: datetime | None, until: datetime | None
) -> Select[Any]:
    """SELECT the ids of the killmails the entity took part in as an attacker (or hosted)."""
    if SIDES[kind].is_location:
        return select(Killmail.killmail_id).where(
            location_condition(kind, entity_id),
            *in_window(Killmail.killmail_time, since, until),
        )
    return attacker_rows(kind, entity_id, since, until, Attacker.killmail_id)


def loss_condition(kind: EntityKind, entity_id: int) -> ColumnElement[bool] | None:
    """The killmails condition making the entity the victim; None for places."""
    column = SIDES[kind].victim_column
    if column is None:
        return None
    return getattr(Killmail, column) == entity_id  # type: ignore[no-any-return]
