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
from killreport.killmails import metrics, repository
from killreport.killmails.models import (
    IngestResult,
    ItemLine,
    MissingEntities,
    ParsedKillmail,
    Rejection,
)
from killreport.killmails.rows import PreparedBatch, finish, prepare
from killreport.universe.static import StaticUniverse, load_static

logger = logging.getLogger(__name__)

InTransaction = Callable[[AsyncSession, IngestResult], Awaitable[None]]


def price_keys(killmails: Sequence[ParsedKillmail]) -> tuple[set[int], set[date]]:
    """The type ids and days whose prices value these killmails."""
    type_ids: set[int] = set()
    days: set[date] = set()

    def add_items(lines: tuple[ItemLine, ...]) -> None:
        for line in lines:
            type_ids.add(line.item_type_id)
            if line.items:
                add_items(line.items)

    for killmail in killmails:
        type_ids.add(killmail.victim.ship_type_id)
        add_items(killmail.victim.items)
        days.add(killmail.killmail_time.date())
    return type_ids, days


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
    batch, duplicates = unique(killmails)
    await repository.lock_for_ingest(session)
    stored = await repository.existing_ids(session, [k.killmail_id for k in batch])
    duplicates.extend(k.killmail_id for k in batch if k.killmail_id in stored)
    fresh = [k for k in batch if k.killmail_id not in stored]
    if not fresh:
        return IngestResult((), tuple(duplicates), tuple(rejected), MissingEntities()), []
    type_ids, days = price_keys(fresh)
    book = await repository.load_prices(session, type_ids, days)
    sqlite = session.get_bind().dialect.name == "sqlite"
    prepared = prepare(fresh, book, universe, sqlite=sqlite)
    return await _write(
        session, prepared, set(), duplicates, rejected, check_missing=check_missing, now=now
    )


async def store_prepared(
    session: AsyncSession,
    prepared: PreparedBatch,
    *,
    duplicates: Sequence[int] = (),
    rejected: Sequence[Rejection] = (),
    check_missing: bool = True,
    now: datetime | None = None,
) -> tuple[IngestResult, list[KillmailCreated]]:
    """Store a batch prepared outside the transaction (unique ids); stored ones are duplicates.

    `duplicates` are ids the caller already found twice in its input.
    """
    await repository.lock_for_ingest(session)
    stored = await repository.existing_ids(session, prepared.killmail_ids)
    found = list(duplicates)
    found.extend(i for i in prepared.killmail_ids if i in stored)
    if len(stored) == len(prepared):
        return IngestResult((), tuple(found), tuple(rejected), MissingEntities()), []
    return await _write(
        session, prepared, stored, found, rejected, check_missing=check_missing, now=now
    )


async def _write(
    session: AsyncSession,
    prepared: PreparedBatch,
    stored: set[int],
    duplicates: Sequence[int],
    rejected: Sequence[Rejection],
    *,
    check_missing: bool,
    now: datetime | None,
) -> tuple[IngestResult, list[KillmailCreated]]:
    sequence = await repository.last_sequence(session)
    rows = finish(prepared, stored, first_sequence=sequence + 1, now=now or datetime.now(UTC))
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
    sources = {k.killmail_id: k.source for k in killmails}
    metrics.count(result, sources, next(iter(sources.values()), "unknown"))
    return await _after_commit(events, result, created, "batch")


async def ingest_prepared(
    database: Database,
    events: EventHub | None,
    prepared: PreparedBatch,
    *,
    duplicates: Sequence[int] = (),
    rejected: Sequence[Rejection] = (),
    check_missing: bool = True,
) -> IngestResult:
    """`ingest_batch` for a batch prepared outside the transaction (by an import's reader)."""
    async with database.transaction() as session:
        result, created = await store_prepared(
            session,
            prepared,
            duplicates=duplicates,
            rejected=rejected,
            check_missing=check_missing,
        )
    metrics.count(result, {}, "archive")
    return await _after_commit(events, result, created, "prepared batch")


async def _after_commit(
    events: EventHub | None,
    result: IngestResult,
    created: Sequence[KillmailCreated],
    what: str,
) -> IngestResult:
    """Log the committed batch and tell the world about its new killmails."""
    logger.info(
        "ingested %s: %d new, %d duplicate, %d rejected, %d missing entities",
        what,
        len(result.created),
        len(result.duplicates),
        len(result.rejected),
        result.missing.total(),
    )
    if events is not None and created:
        await events.publish_many(created)
    return result
