"""The one ingest path: every source's killmails are parsed, derived, valued and stored here.

`store_batch` does the work inside a caller's transaction; `ingest_batch` is the unit of
work entrypoints use: one transaction per batch (plus whatever the caller must write in
it, such as a feed cursor), then `killmail.created` events after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.events.contracts import KillmailCreated
from killreport.events.hub import EventHub
from killreport.killmails import repository
from killreport.killmails.models import (
    IngestResult,
    MissingEntities,
    ParsedKillmail,
    Rejection,
)
from killreport.killmails.rows import build_rows
from killreport.killmails.valuation import flatten_items
from killreport.universe.static import StaticUniverse, load_static

logger = logging.getLogger(__name__)

InTransaction = Callable[[AsyncSession, IngestResult], Awaitable[None]]


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

    sqlite = session.get_bind().dialect.name == "sqlite"
    rows = build_rows(fresh, book, universe, first_sequence=sequence + 1, now=now, sqlite=sqlite)
    await repository.write_rows(session, rows.killmails, rows.attackers, rows.items)
    await repository.add_counters(session, rows.counters)
    missing = (
        await repository.missing_entities(session, rows.referenced)
        if check_missing
        else MissingEntities()
    )
    result = IngestResult(tuple(rows.created), tuple(duplicates), tuple(rejected), missing)
    return result, rows.events


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
