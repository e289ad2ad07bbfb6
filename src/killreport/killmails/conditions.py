"""A KillmailFilter compiled to SQL conditions on `killmails` (attackers through EXISTS).

Every condition is on an indexed column of `killmails` or inside one EXISTS on the
attackers of the row, so the whole filter stays one statement. All conditions of one
ParticipantFilter sit on the same attacker row ("alliance X flying a ship of group Y").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text, and_, cast, exists, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from killreport.db.tables import Attacker, Killmail
from killreport.killmails.derive import ABYSSAL_SYSTEMS, WORMHOLE_SYSTEMS
from killreport.killmails.filters import (
    HIGHSEC_MIN,
    POCHVEN_REGION_ID,
    KillmailFilter,
    ParticipantFilter,
    SecuritySpace,
)
from killreport.universe.static import load_static


@functools.cache
def _types_by_group() -> dict[int, tuple[int, ...]]:
    grouped: dict[int, list[int]] = {}
    for static_type in load_static().types.values():
        if static_type.group_id is not None:
            grouped.setdefault(static_type.group_id, []).append(static_type.type_id)
    return {group_id: tuple(sorted(ids)) for group_id, ids in grouped.items()}


def types_of_groups(group_ids: Iterable[int]) -> tuple[int, ...]:
    """Every type id of the given groups in the static snapshot."""
    by_group = _types_by_group()
    return tuple(type_id for group_id in group_ids for type_id in by_group.get(group_id, ()))


def _in(column: Any, ids: tuple[int, ...]) -> ColumnElement[bool]:
    return column.in_(ids)  # type: ignore[no-any-return]


def victim_conditions(participant: ParticipantFilter) -> list[ColumnElement[bool]]:
    """Conditions on the victim columns of `killmails`."""
    pairs = (
        (Killmail.victim_character_id, participant.character_ids),
        (Killmail.victim_corporation_id, participant.corporation_ids),
        (Killmail.victim_alliance_id, participant.alliance_ids),
        (Killmail.victim_faction_id, participant.faction_ids),
        (Killmail.victim_ship_type_id, participant.ship_type_ids),
        (Killmail.victim_ship_group_id, participant.ship_group_ids),
    )
    return [_in(column, ids) for column, ids in pairs if ids]


def attacker_exists(participant: ParticipantFilter) -> ColumnElement[bool]:
    """EXISTS one attacker of the row meeting every condition of the participant filter."""
    pairs = (
        (Attacker.character_id, participant.character_ids),
        (Attacker.corporation_id, participant.corporation_ids),
        (Attacker.alliance_id, participant.alliance_ids),
        (Attacker.faction_id, participant.faction_ids),
        (Attacker.ship_type_id, participant.ship_type_ids),
    )
    conditions = [_in(column, ids) for column, ids in pairs if ids]
    if participant.ship_group_ids:
        conditions.append(_in(Attacker.ship_type_id, types_of_groups(participant.ship_group_ids)))
    return exists(
        select(Attacker.position).where(Attacker.killmail_id == Killmail.killmail_id, *conditions)
    )


def _all(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return and_(*conditions) if conditions else true()


def _space_condition(space: SecuritySpace) -> ColumnElement[bool]:
    system = Killmail.solar_system_id
    if space is SecuritySpace.ABYSSAL:
        return system.between(ABYSSAL_SYSTEMS.start, ABYSSAL_SYSTEMS.stop - 1)
    if space is SecuritySpace.WORMHOLE:
        return system.between(WORMHOLE_SYSTEMS.start, WORMHOLE_SYSTEMS.stop - 1)
    known_space = or_(system < WORMHOLE_SYSTEMS.start, system >= ABYSSAL_SYSTEMS.stop)
    if space is SecuritySpace.POCHVEN:
        return and_(known_space, Killmail.region_id == POCHVEN_REGION_ID)
    not_pochven = func.coalesce(Killmail.region_id, 0) != POCHVEN_REGION_ID
    security = Killmail.security
    if space is SecuritySpace.HIGHSEC:
        band = security >= HIGHSEC_MIN
    elif space is SecuritySpace.LOWSEC:
        band = and_(security > 0.0, security < HIGHSEC_MIN)
    else:
        band = security <= 0.0
    return and_(known_space, not_pochven, band)


def _label_condition(label: str) -> ColumnElement[bool]:
    # Labels are a JSON list stored as text on both databases; a quoted element is exact.
    escaped = label.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(Killmail.labels, Text).like(f'%"{escaped}"%', escape="\\")


def filter_conditions(f: KillmailFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filter, all on one `killmails` row."""
    conditions: list[ColumnElement[bool]] = []
    if f.victim is not None:
        conditions.extend(victim_conditions(f.victim))
    if f.attacker is not None:
        conditions.append(attacker_exists(f.attacker))
    if f.involved is not None:
        as_victim = victim_conditions(f.involved)
        conditions.append(or_(_all(as_victim), attacker_exists(f.involved)))
    for column, ids in (
        (Killmail.solar_system_id, f.solar_system_ids),
        (Killmail.constellation_id, f.constellation_ids),
        (Killmail.region_id, f.region_ids),
    ):
        if ids:
            conditions.append(_in(column, ids))
    if f.security_space:
        conditions.append(or_(false(), *(_space_condition(s) for s in f.security_space)))
    if f.min_value is not None:
        conditions.append(Killmail.total_value >= f.min_value)
    if f.max_value is not None:
        conditions.append(Killmail.total_value <= f.max_value)
    if f.min_attackers is not None:
        conditions.append(Killmail.attacker_count >= f.min_attackers)
    if f.max_attackers is not None:
        conditions.append(Killmail.attacker_count <= f.max_attackers)
    if f.since is not None:
        conditions.append(Killmail.killmail_time >= f.since)
    if f.until is not None:
        conditions.append(Killmail.killmail_time < f.until)
    for column, wanted in ((Killmail.solo, f.solo), (Killmail.npc, f.npc), (Killmail.awox, f.awox)):
        if wanted is not None:
            conditions.append(column == wanted)
    conditions.extend(_label_condition(label) for label in f.labels)
    return conditions
