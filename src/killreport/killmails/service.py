"""The one ingest path: every source's killmails are parsed, derived, valued and stored here.

`store_batch` does the work inside a caller's transaction; `ingest_batch` is the unit of
work entrypoints use: one transaction per batch (plus whatever the caller must write in
it, such as a feed cursor), then `killmail.created` events after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.events.contracts import KillmailCreated
from killreport.events.hub import EventHub
from killreport.killmails import repository
from killreport.killmails.derive import derive
from killreport.killmails.models import (
    IngestResult,
    MissingEntities,
    ParsedKillmail,
    Rejection,
)
from killreport.killmails.valuation import flatten_items, value
from killreport.universe.static import StaticUniverse, load_static

logger = logging.getLogger(__name__)

InTransaction = Callable[[AsyncSession, IngestResult], Awaitable[None]]

COUNTED_KINDS = ("character", "corporation", "alliance", "faction")


def _entity_ids(killmail: ParsedKillmail) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
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


def _referenced(killmail: ParsedKillmail, into: dict[str, set[int]]) -> None:
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


def _type_ids(killmail: ParsedKillmail) -> set[int]:
    ids = {killmail.victim.ship_type_id}
    ids.update(line.item_type_id for _p, _q, line in flatten_items(killmail.victim.items))
    return ids


def unique(killmails: Sequence[ParsedKillmail]) -> tuple[list[ParsedKillmail], list[int]]:
    """The first of each killmail id in a batch, and the ids seen again."""
    seen: set[int] = set()
    first: list[ParsedKillmail] = []
    again: list[int] = []
    for killmail in killmails:
        if killmail.killmail_id in seen:
            again.append(killmail.killmail_id)
            continue
        seen.add(killmail.killmail_id)
        first.append(killmail)
    return first, again


async def store_batch(
    session: AsyncSession,
    killmails: Sequence[ParsedKillmail],
    *,
    rejected: Sequence[Rejection] = (),
    universe: StaticUniverse | None = None,
    check_missing: bool = True,
    now: datetime | None = None,
) -> tuple[IngestResult, list[KillmailCreated]]:
    """Store the new killmails of a batch in the session's transaction; never commits."""
    universe = universe or load_static()
    now = now or datetime.now(UTC)
    batch, duplicates = unique(killmails)
    await repository.lock_for_ingest(session)
    stored = await repository.existing_ids(session, [k.killmail_id for k in batch])
    duplicates.extend(k.killmail_id for k in batch if k.killmail_id in stored)
    fresh = sorted(
        (k for k in batch if k.killmail_id not in stored),
        key=lambda k: (k.killmail_time, k.killmail_id),
    )
    if not fresh:
        return IngestResult((), tuple(duplicates), tuple(rejected), MissingEntities()), []

    type_ids: set[int] = set()
    days: set[date] = set()
    for killmail in fresh:
        type_ids |= _type_ids(killmail)
        days.add(killmail.killmail_time.date())
    book = await repository.load_prices(session, type_ids, days)
    sequence = await repository.last_sequence(session)

    killmail_rows: list[tuple[Any, ...]] = []
    attacker_rows: list[tuple[Any, ...]] = []
    item_rows: list[tuple[Any, ...]] = []
    counters: dict[tuple[str, int, date], list[float]] = {}
    referenced: dict[str, set[int]] = {kind.name: set() for kind in repository.ENTITY_KINDS}
    created: list[tuple[int, int]] = []
    events: list[KillmailCreated] = []
    for killmail in fresh:
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
        losers, winners = _entity_ids(killmail)
        for kind, entity_id in losers:
            entry = counters.setdefault((kind, entity_id, day), [0, 0, 0.0, 0.0, 0])
            entry[1] += 1
            entry[3] += total
        for kind, entity_id in winners:
            entry = counters.setdefault((kind, entity_id, day), [0, 0, 0.0, 0.0, 0])
            entry[0] += 1
            entry[2] += total
            entry[4] += points
        if check_missing:
            _referenced(killmail, referenced)
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
    await repository.write_rows(session, killmail_rows, attacker_rows, item_rows)
    await repository.add_counters(session, counters)
    missing = (
        await repository.missing_entities(session, referenced)
        if check_missing
        else MissingEntities()
    )
    result = IngestResult(tuple(created), tuple(duplicates), tuple(rejected), missing)
    return result, events


async def ingest_batch(
    database: Database,
    events: EventHub | None,
    killmails: Sequence[ParsedKillmail],
    *,
    rejected: Sequence[Rejection] = (),
    in_transaction: InTransaction | None = None,
    check_missing: bool = True,
) -> IngestResult:
    """One transaction for the batch (and `in_transaction`), then `killmail.created` events."""
    async with database.transaction() as session:
        result, created = await store_batch(
            session, killmails, rejected=rejected, check_missing=check_missing
        )
        if in_transaction is not None:
            await in_transaction(session, result)
    logger.info(
        "ingested batch: %d new, %d duplicate, %d rejected, %d missing entities",
        len(result.created),
        len(result.duplicates),
        len(result.rejected),
        result.missing.total(),
    )
    if events is not None and created:
        await events.publish_many(created)
    return result
