"""Refresh entities of any kind from ESI: fetch (no transaction held), then store in one.

`fetch_entities` only talks to ESI; `store_fetched` only writes, in the caller's
session. Between them the caller may open its transaction, so no database lock is
held while waiting on the network (SQLite has one writer at a time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.esi.client import EsiClient
from killreport.esi.errors import EsiNotFound
from killreport.esi.http_cache import parse_http_date
from killreport.esi.models import EsiResult
from killreport.universe import repository
from killreport.universe.repository import Freshness
from killreport.universe.specs import EntityKind, EntitySpec

logger = logging.getLogger(__name__)

# Fetches in flight per batch. Each first reads the HTTP cache from the database, so an
# unbounded fan-out (100 ids x every prefetched message) starves the connection pool;
# ESI's budget caps the requests themselves far lower anyway.
FETCH_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class FetchedBatch:
    """What ESI answered for a batch of ids of one kind."""

    spec: EntitySpec
    results: dict[int, EsiResult[Any]]
    missing: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    """What storing a batch did, and the unknown ids its entities refer to."""

    stored: int = 0
    unchanged: int = 0
    deleted: int = 0
    discovered: dict[EntityKind, set[int]] = field(default_factory=dict)


async def fetch_entities(client: EsiClient, spec: EntitySpec, ids: Iterable[int]) -> FetchedBatch:
    """Fetch the ids a few at a time (ESI's budget paces them); 404s are collected, not raised."""
    wanted = sorted(set(ids))
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(entity_id: int) -> tuple[int, EsiResult[Any] | None]:
        try:
            async with gate:
                return entity_id, await spec.fetch(client, entity_id)
        except EsiNotFound:
            logger.info("%s %d not found on ESI (deleted or closed)", spec.kind, entity_id)
            return entity_id, None

    answers = await asyncio.gather(*(one(entity_id) for entity_id in wanted))
    results = {entity_id: result for entity_id, result in answers if result is not None}
    missing = tuple(entity_id for entity_id, result in answers if result is None)
    return FetchedBatch(spec=spec, results=results, missing=missing)


def _freshness(result: EsiResult[Any], now: datetime) -> Freshness:
    return Freshness(
        fetched_at=now,
        expires_at=result.expires_at,
        etag=result.etag,
        last_modified=parse_http_date(result.last_modified),
    )


def _body(result: EsiResult[Any]) -> dict[str, Any]:
    value = result.value
    if hasattr(value, "model_dump"):
        dumped: dict[str, Any] = value.model_dump()
        return dumped
    return dict(value)


async def store_fetched(
    session: AsyncSession, batch: FetchedBatch, now: datetime
) -> RefreshOutcome:
    """Upsert what changed, extend the expiry of what did not, mark 404s deleted."""
    spec = batch.spec
    stored = await repository.stored_rows(session, spec, batch.results)
    write_rows: list[dict[str, Any]] = []
    write_fresh: list[Freshness] = []
    touch_ids: list[int] = []
    touch_fresh: list[Freshness] = []
    related: dict[EntityKind, set[int]] = {}
    for entity_id, result in sorted(batch.results.items()):
        row = spec.row(entity_id, _body(result))
        current = stored.get(entity_id)
        for kind, ids in spec.related_ids(row).items():
            related.setdefault(kind, set()).update(ids)
        same = (
            current is not None
            and current["deleted_at"] is None
            and all(current[column] == row[column] for column in spec.columns)
        )
        if same:
            touch_ids.append(entity_id)
            touch_fresh.append(_freshness(result, now))
        else:
            write_rows.append(row)
            write_fresh.append(_freshness(result, now))
    await repository.upsert_entities(session, spec, write_rows, write_fresh)
    await repository.touch_unchanged(session, spec, touch_ids, touch_fresh)
    await repository.mark_deleted(session, spec, batch.missing, now)
    discovered: dict[EntityKind, set[int]] = {}
    for kind, ids in related.items():
        unknown = await repository.unknown_ids(session, kind, ids)
        if unknown:
            discovered[kind] = unknown
    if write_rows or batch.missing:
        logger.info(
            "%s: %d stored, %d unchanged, %d deleted, first id %d",
            spec.kind,
            len(write_rows),
            len(touch_ids),
            len(batch.missing),
            min([*batch.results, *batch.missing]),
        )
    return RefreshOutcome(
        stored=len(write_rows),
        unchanged=len(touch_ids),
        deleted=len(batch.missing),
        discovered=discovered,
    )
