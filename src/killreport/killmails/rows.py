"""The rows one batch of new killmails becomes: killmails, attackers, items, counters, events.

Pure computation (no I/O), shared by the ingest service and the benchmark's raw baseline,
so both write exactly the same rows. Tuples follow the tables' column order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from killreport.events.contracts import KillmailCreated
from killreport.killmails.derive import derive
from killreport.killmails.models import ParsedKillmail
from killreport.killmails.repository import ENTITY_KINDS, sqlite_time
from killreport.killmails.valuation import FlatItems, PriceBook, flatten_items, value
from killreport.universe.static import StaticUniverse

# Entity kinds with daily counters: each distinct one among the attackers gets a kill,
# the victim's get a loss.
COUNTED_KINDS = ("character", "corporation", "alliance", "faction")


@dataclass
class BatchRows:
    """Everything a batch writes, plus what it tells the world."""

    killmails: list[tuple[Any, ...]] = field(default_factory=list)
    attackers: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)
    counters: dict[tuple[str, int, date], list[float]] = field(default_factory=dict)
    referenced: dict[str, set[int]] = field(
        default_factory=lambda: {kind.name: set() for kind in ENTITY_KINDS}
    )
    created: list[tuple[int, int]] = field(default_factory=list)
    events: list[KillmailCreated] = field(default_factory=list)


def entity_ids(killmail: ParsedKillmail) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(kind, id) of the victim's entities and of the distinct attackers' entities."""
    victim = killmail.victim
    losers = [
        (kind, entity_id)
        for kind, entity_id in zip(
            COUNTED_KINDS,
            (victim.character_id, victim.corporation_id, victim.alliance_id, victim.faction_id),
            strict=True,
        )
        if entity_id is not None
    ]
    attackers = killmail.attackers
    winners = [
        (kind, entity_id)
        for kind, ids in zip(
            COUNTED_KINDS,
            (
                {a.character_id for a in attackers},
                {a.corporation_id for a in attackers},
                {a.alliance_id for a in attackers},
                {a.faction_id for a in attackers},
            ),
            strict=True,
        )
        for entity_id in ids
        if entity_id is not None
    ]
    return losers, winners


def referenced_ids(
    killmail: ParsedKillmail, into: dict[str, set[int]], flat: FlatItems | None = None
) -> None:
    """Add every entity id the killmail references, by entity kind."""
    victim = killmail.victim
    attackers = killmail.attackers
    characters, corporations, alliances, types = (
        into["character"],
        into["corporation"],
        into["alliance"],
        into["type"],
    )
    characters.update(a.character_id for a in attackers if a.character_id is not None)
    corporations.update(a.corporation_id for a in attackers if a.corporation_id is not None)
    alliances.update(a.alliance_id for a in attackers if a.alliance_id is not None)
    types.update(a.ship_type_id for a in attackers if a.ship_type_id is not None)
    types.update(a.weapon_type_id for a in attackers if a.weapon_type_id is not None)
    for kind, entity_id in (
        ("character", victim.character_id),
        ("corporation", victim.corporation_id),
        ("alliance", victim.alliance_id),
        ("type", victim.ship_type_id),
        ("system", killmail.solar_system_id),
    ):
        if entity_id is not None:
            into[kind].add(entity_id)
    if flat is None:
        flat = list(flatten_items(victim.items))
    types.update(line.item_type_id for _position, _parent, line in flat)


def build_rows(
    killmails: Sequence[ParsedKillmail],
    book: PriceBook,
    universe: StaticUniverse,
    *,
    first_sequence: int,
    now: datetime,
    sqlite: bool = False,
) -> BatchRows:
    """Value, derive and lay out new killmails; sequences start at `first_sequence`.

    Rows are in the dialect's storage form (SQLite: times as text, booleans as 0/1),
    labels as JSON text, so writers pass them straight to the driver.
    """
    rows = BatchRows()
    killmail_rows = rows.killmails
    attacker_rows = rows.attackers
    item_rows = rows.items
    counters = rows.counters
    referenced = rows.referenced
    created = rows.created
    events = rows.events
    sequence = first_sequence - 1
    stored_now: Any = sqlite_time(now) if sqlite else now
    for killmail in killmails:
        sequence += 1
        flat = list(flatten_items(killmail.victim.items))
        valuation = value(killmail, book, universe, flat)
        derived = derive(killmail, universe, valuation.total_value)
        victim = killmail.victim
        position = victim.position
        time = killmail.killmail_time
        stored_time: Any = sqlite_time(time) if sqlite else time
        killmail_rows.append(
            (
                killmail.killmail_id,
                killmail.killmail_hash,
                stored_time,
                killmail.solar_system_id,
                derived.constellation_id,
                derived.region_id,
                derived.security,
                killmail.moon_id,
                killmail.war_id,
                killmail.zkb.location_id if killmail.zkb else None,
                victim.character_id,
                victim.corporation_id,
                victim.alliance_id,
                victim.faction_id,
                victim.ship_type_id,
                derived.victim_ship_group_id,
                victim.damage_taken,
                position.x if position else None,
                position.y if position else None,
                position.z if position else None,
                derived.attacker_count,
                derived.final_blow_character_id,
                valuation.fitted_value,
                valuation.dropped_value,
                valuation.destroyed_value,
                valuation.total_value,
                derived.points,
                int(derived.npc) if sqlite else derived.npc,
                int(derived.solo) if sqlite else derived.solo,
                int(derived.awox) if sqlite else derived.awox,
                json.dumps(derived.labels),
                valuation.value_source,
                killmail.source,
                sequence,
                stored_now,
            )
        )
        kid = killmail.killmail_id
        attacker_rows.extend(
            (
                kid,
                index,
                stored_time,
                a.character_id,
                a.corporation_id,
                a.alliance_id,
                a.faction_id,
                a.ship_type_id,
                a.weapon_type_id,
                a.damage_done,
                int(a.final_blow) if sqlite else a.final_blow,
                a.security_status,
            )
            for index, a in enumerate(killmail.attackers)
        )
        unit_values = valuation.unit_values
        item_rows.extend(
            (
                kid,
                pos,
                parent,
                line.item_type_id,
                line.flag,
                line.singleton,
                line.quantity_destroyed,
                line.quantity_dropped,
                unit_values[pos],
            )
            for pos, parent, line in flat
        )
        total = valuation.total_value or 0.0
        points = derived.points or 0
        day = time.date()
        losers, winners = entity_ids(killmail)
        for kind, entity_id in losers:
            entry = counters.setdefault((kind, entity_id, day), [0, 0, 0.0, 0.0, 0])
            entry[1] += 1
            entry[3] += total
        for kind, entity_id in winners:
            entry = counters.setdefault((kind, entity_id, day), [0, 0, 0.0, 0.0, 0])
            entry[0] += 1
            entry[2] += total
            entry[4] += points
        referenced_ids(killmail, referenced, flat)
        created.append((kid, sequence))
        events.append(
            KillmailCreated(
                killmail_id=kid,
                sequence=sequence,
                killmail_time=time,
                solar_system_id=killmail.solar_system_id,
                region_id=derived.region_id,
                victim_character_id=victim.character_id,
                victim_corporation_id=victim.corporation_id,
                victim_alliance_id=victim.alliance_id,
                victim_ship_type_id=victim.ship_type_id,
                attacker_character_ids=tuple(sorted(e for k, e in winners if k == "character")),
                attacker_corporation_ids=tuple(sorted(e for k, e in winners if k == "corporation")),
                attacker_alliance_ids=tuple(sorted(e for k, e in winners if k == "alliance")),
                total_value=valuation.total_value,
            )
        )
    return rows
