"""The ONE entity handler (every info queue, every kind) and the alliance-members handler.

Both are thin: fetch from ESI without a transaction, then store and publish the ids
discovered in the handler's transaction (which also carries the ack on the embedded
queue): the follow-ups commit with the writes, so a crash in between loses neither
(`joined` is a diff against the stored membership; once that commits it is empty).
ESI's budget errors become `RetryLater` at the time ESI names.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from killreport.bus.contracts import PRIORITY_DEFAULT, EntityIdsMessage
from killreport.bus.errors import DeadLetter, RetryLater
from killreport.bus.outbox import TransactionBus
from killreport.esi.errors import EsiErrorLimited, EsiNotFound, EsiRateLimited
from killreport.jobs.entities import publish_ids
from killreport.universe import repository
from killreport.universe.refresh import fetch_entities, store_fetched
from killreport.universe.specs import EntityKind, spec_for
from killreport.workers.handler import HandlerContext

logger = logging.getLogger(__name__)


@asynccontextmanager
async def _esi_budget() -> AsyncIterator[None]:
    """Turn ESI's 'not before' errors into a retry at the moment ESI gave."""
    try:
        yield
    except (EsiRateLimited, EsiErrorLimited) as exc:
        raise RetryLater(exc.retry_at, f"{type(exc).__name__}: {exc}") from exc


def _kind(message: EntityIdsMessage, ctx: HandlerContext) -> EntityKind:
    name = message.kind or ctx.spec.entity_kind
    if name is None:
        raise DeadLetter(f"queue {ctx.spec.name} carries no entity kind and the message names none")
    return EntityKind(name)


async def handle_entity_info(message: EntityIdsMessage, ctx: HandlerContext) -> None:
    """Fetch and store entities of the message's kind; queue the unknown ones they name."""
    spec = spec_for(_kind(message, ctx))
    container = ctx.container
    async with _esi_budget():
        batch = await fetch_entities(container.esi, spec, message.ids)
    async with ctx.transaction() as session:
        outcome = await store_fetched(session, batch, container.esi.transport.clock())
        outbox = TransactionBus(ctx.bus, session)
        for kind, ids in sorted(outcome.discovered.items()):
            await publish_ids(outbox, kind, ids, priority=PRIORITY_DEFAULT)


async def handle_alliance_corporations(message: EntityIdsMessage, ctx: HandlerContext) -> None:
    """Store each alliance's members, clear leavers, queue member corporations to refresh."""
    container = ctx.container
    members: dict[int, tuple[int, ...]] = {}
    closed: list[int] = []
    async with _esi_budget():
        for alliance_id in message.ids:
            try:
                members[alliance_id] = (
                    await container.esi.alliance_corporations(alliance_id)
                ).value
            except EsiNotFound:
                closed.append(alliance_id)
    now = container.esi.transport.clock()
    joined: set[int] = set()
    async with ctx.transaction() as session:
        for alliance_id, corporation_ids in sorted(members.items()):
            change = await repository.replace_alliance_members(
                session, alliance_id, corporation_ids, now
            )
            joined |= change.joined
            if change.departed:
                logger.info(
                    "alliance %d: %d corporations left: %s",
                    alliance_id,
                    len(change.departed),
                    sorted(change.departed),
                )
        for alliance_id in closed:
            await repository.replace_alliance_members(session, alliance_id, (), now)
        await repository.mark_deleted(session, spec_for("alliance"), closed, now)
        unknown = await repository.unknown_ids(
            session, EntityKind.CORPORATION, {c for ids in members.values() for c in ids}
        )
        # New members and unknown corporations are fetched; known ones refresh when they
        # expire. Queued in this transaction: `joined` is gone once the membership commits.
        await publish_ids(
            TransactionBus(ctx.bus, session), EntityKind.CORPORATION, unknown | joined
        )
