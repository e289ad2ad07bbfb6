"""The one ingest path: every source's killmails are parsed, derived, valued and stored here.

`store_batch` does the work inside a caller's transaction; `ingest_batch` is the unit of
work entrypoints use: one transaction per batch (plus whatever the caller must write in
it, such as a feed cursor), then `killmail.created` events after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.events.contracts import KillmailCreated
from killreport.events.hub import EventHub
from killreport.killmails import metrics, repository
from killreport.killmails.derive import PADDING_SEEN
from killreport.killmails.models import (
    IngestResult,
    MissingEntities,
    ParsedKillmail,
    Rejection,
)
from killreport.killmails.rows import PreparedBatch, finish, mark_padded, prepare
from killreport.killmails.rows import price_keys as price_keys
from killreport.killmails.rows import unique as unique
from killreport.universe.static import StaticUniverse, load_static

logger = logging.getLogger(__name__)

InTransaction = Callable[[AsyncSession, IngestResult], Awaitable[None]]


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
    counters: bool = True,
) -> tuple[IngestResult, list[KillmailCreated]]:
    """Store a batch prepared outside the transaction (unique ids); stored ones are duplicates.

    `duplicates` are ids the caller already found twice in its input. `counters=False`
    (a bulk load, which computes them from the rows at its end) adds no daily counters.
    """
    await repository.lock_for_ingest(session)
    stored = await repository.existing_ids(session, prepared.killmail_ids)
    found = list(duplicates)
    found.extend(i for i in prepared.killmail_ids if i in stored)
    if len(stored) == len(prepared):
        return IngestResult((), tuple(found), tuple(rejected), MissingEntities()), []
    return await _write(
        session,
        prepared,
        stored,
        found,
        rejected,
        check_missing=check_missing,
        now=now,
        counters=counters,
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
    counters: bool = True,
) -> tuple[IngestResult, list[KillmailCreated]]:
    mark_padded(prepared, await _padded(session, prepared, stored))
    sequence = await repository.last_sequence(session)
    rows = finish(prepared, stored, first_sequence=sequence + 1, now=now or datetime.now(UTC))
    if rows.text is not None:
        await repository.write_text(session, rows.text)
    else:
        await repository.write_rows(session, rows.killmails, rows.attackers, rows.items)
    if counters:
        await repository.add_counters(session, rows.counters)
    missing = (
        await repository.missing_entities(session, rows.referenced)
        if check_missing
        else MissingEntities()
    )
    result = IngestResult(tuple(rows.created), tuple(duplicates), tuple(rejected), missing)
    return result, rows.events


async def _padded(session: AsyncSession, prepared: PreparedBatch, stored: set[int]) -> list[int]:
    """Positions of the new killmails zKillboard would call padding: their pad key was
    seen `PADDING_SEEN` times already, among stored killmails and earlier ones here."""
    candidates = [
        (i, facts)
        for i, facts in enumerate(prepared.facts)
        if facts.pad_key is not None and facts.killmail_id not in stored
    ]
    if not candidates:
        return []
    times = [facts.killmail_time for _i, facts in candidates]
    low = min(times).replace(minute=0, second=0, microsecond=0)
    high = max(times).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    victims = [f.victim[0] for _i, f in candidates if f.victim[0] is not None]
    seen = await repository.stored_pad_keys(session, victims, low, high, prepared.ship_groups)
    padded = []
    for i, facts in candidates:
        key = facts.pad_key
        assert key is not None
        if seen[key] >= PADDING_SEEN:
            padded.append(i)
        seen[key] += 1
    return padded


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
    counters: bool = True,
) -> IngestResult:
    """`ingest_batch` for a batch prepared outside the transaction (by an import's preparer)."""
    async with database.transaction() as session:
        result, created = await store_prepared(
            session,
            prepared,
            duplicates=duplicates,
            rejected=rejected,
            check_missing=check_missing,
            counters=counters,
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
