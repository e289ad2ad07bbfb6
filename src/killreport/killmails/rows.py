"""The rows one batch of new killmails becomes: killmails, attackers, items, counters, events.

Pure computation (no I/O), shared by the ingest service and the benchmark's raw baseline,
so both write exactly the same rows. Tuples follow the tables' column order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from killreport.events.contracts import KillmailCreated
from killreport.killmails.derive import derive
from killreport.killmails.models import ParsedKillmail
from killreport.killmails.repository import ENTITY_KINDS
from killreport.killmails.valuation import PriceBook, flatten_items, value
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
    winners: dict[tuple[str, int], None] = {}
    for a in killmail.attackers:
        for kind, entity_id in zip(
            COUNTED_KINDS,
            (a.character_id, a.corporation_id, a.alliance_id, a.faction_id),
            strict=True,
        ):
            if entity_id is not None:
                winners[(kind, entity_id)] = None
    return losers, list(winners)


def referenced_ids(killmail: ParsedKillmail, into: dict[str, set[int]]) -> None:
    """Add every entity id the killmail references, by entity kind."""
    victim = killmail.victim
    for kind, entity_id in (
        ("character", victim.character_id),
        ("corporation", victim.corporation_id),
        ("alliance", victim.alliance_id),
        ("type", victim.ship_type_id),
        ("system", killmail.solar_system_id),
    ):
        if entity_id is not None:
            into[kind].add(entity_id)
    for a in killmail.attackers:
        for kind, entity_id in (
            ("character", a.character_id),
            ("corporation", a.corporation_id),
            ("alliance", a.alliance_id),
            ("type", a.ship_type_id),
            ("type", a.weapon_type_id),
        ):
            if entity_id is not None:
                into[kind].add(entity_id)
    for _position, _parent, line in flatten_items(victim.items):
        into["type"].add(line.item_type_id)


def build_rows(
    killmails: Sequence[ParsedKillmail],
    book: PriceBook,
    universe: StaticUniverse,
    *,
    first_sequence: int,
    now: datetime,
) -> BatchRows:
    """Value, derive and lay out new killmails; sequences start at `first_sequence`."""
    rows = BatchRows()
    killmail_rows = rows.killmails
    attacker_rows = rows.attackers
    item_rows = rows.items
    counters = rows.counters
    referenced = rows.referenced
    created = rows.created
    events = rows.events
    sequence = first_sequence - 1
    for killmail in killmails:
        sequence += 1
        valuation = value(killmail, book, universe)
        derived = derive(killmail, universe, valuation.total_value)
        victim = killmail.victim
        position = victim.position
        time = killmail.killmail_time
        killmail_rows.append(
            (
                killmail.killmail_id,
                killmail.killmail_hash,
                time,
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
                derived.npc,
                derived.solo,
                derived.awox,
                list(derived.labels),
                valuation.value_source,
                killmail.source,
                sequence,
                now,
            )
        )
        kid = killmail.killmail_id
        attacker_rows.extend(
            (
                kid,
                index,
                time,
                a.character_id,
                a.corporation_id,
                a.alliance_id,
                a.faction_id,
                a.ship_type_id,
                a.weapon_type_id,
                a.damage_done,
                a.final_blow,
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
            for pos, parent, line in flatten_items(victim.items)
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
        referenced_ids(killmail, referenced)
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
