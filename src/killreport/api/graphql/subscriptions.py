"""Subscriptions: `newKillmail(filter, afterSequence)` and `workerStatusUpdates`.

Both are served by the process's live engine (`api/live`): each new killmail was read
once by the feed and every subscriber's selection is resolved from that one object, so
a nested field costs no statement per subscriber; the worker status comes from one
poller per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager

import strawberry
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket
from strawberry.types import Info

from killreport.api.graphql.context import GraphQLContext, RequestSession
from killreport.api.graphql.errors import BAD_USER_INPUT, client_error
from killreport.api.graphql.inputs import KillmailFilterInput, to_filter
from killreport.api.graphql.killmail_types import Killmail
from killreport.api.graphql.live_context import (
    CURRENT_ITEM,
    ItemReads,
    LiveKillmail,
    batch_loaders,
)
from killreport.api.graphql.status_query import WorkerStatus, worker_statuses
from killreport.api.graphql.websocket import live_connection, live_engine
from killreport.api.live.engine import running_engine
from killreport.api.live.errors import ConnectionClosed, ReplayTooLarge
from killreport.api.live.source import DatabaseKillmails
from killreport.container import Container
from killreport.db.engine import Database
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.filters import KillmailFilter
from killreport.killmails.matcher import matches
from killreport.killmails.replay import matching_after_sequence

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

REPLAY_TOO_LARGE = "REPLAY_TOO_LARGE"
NOT_A_WEBSOCKET = "NOT_A_WEBSOCKET"


def _websocket(info: Info[GraphQLContext, None]) -> WebSocket:
    request = info.context.request
    if not isinstance(request, WebSocket):
        raise client_error("subscriptions are served over WebSocket on /graphql", NOT_A_WEBSOCKET)
    return request


async def _replay(
    database: Database, wanted: KillmailFilter, after: int, up_to: int, limit: int
) -> Sequence[LiveKillmail]:
    async with database.reading() as session:
        found = await matching_after_sequence(session, wanted, after, up_to=up_to, limit=limit)
    loaders = batch_loaders(database)
    return [LiveKillmail(detail, loaders) for detail in found]


def _matches(wanted: KillmailFilter, item: LiveKillmail) -> bool:
    return matches(wanted, item.detail)


def live_lifespan(container: Container) -> Lifespan:
    """A lifespan that runs this process's one live engine as `app.state.live`."""

    async def hydrate(_session: AsyncSession, details: list[KillmailDetail]) -> list[LiveKillmail]:
        loaders = batch_loaders(container.database)
        return [LiveKillmail(detail, loaders) for detail in details]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        source = DatabaseKillmails(container.database, hydrate)
        async with running_engine(
            container.settings, source, container.events, container.bus
        ) as engine:
            app.state.live = engine
            yield

    return lifespan


async def _until_cancelled() -> None:
    # The connection was closed with its own code and reason; sending `complete` now
    # would fail, so wait for strawberry to cancel the operation as the socket goes.
    await asyncio.Event().wait()


@strawberry.type
class KillmailSubscription:
    @strawberry.subscription(
        description=(
            "Killmails as they are stored, filtered like `killmails`. With afterSequence, "
            "the stored ones after it are sent first (at most 1,000), then live ones, "
            "with no gap and no duplicate."
        )
    )
    async def new_killmail(
        self,
        info: Info[GraphQLContext, None],
        filter: KillmailFilterInput | None = None,
        after_sequence: int | None = None,
    ) -> AsyncGenerator[Killmail, None]:
        websocket = _websocket(info)
        if after_sequence is not None and after_sequence < 0:
            raise client_error("afterSequence must be 0 or more", BAD_USER_INPUT)
        wanted = to_filter(filter)
        database = info.context.database
        stream = live_engine(websocket).feed.subscribe(
            live_connection(websocket),
            functools.partial(_matches, wanted),
            after_sequence=after_sequence,
            replay=functools.partial(_replay, database, wanted),
        )
        try:
            async for item in stream:
                reads = RequestSession(database)
                # This operation's resolvers read through the item's batch loaders and a
                # session that ends once the item is sent (see live_context).
                CURRENT_ITEM.set(ItemReads(item.loaders, reads))
                try:
                    yield Killmail(detail=item.detail)
                finally:
                    CURRENT_ITEM.set(None)
                    await reads.close()
        except ReplayTooLarge as exc:
            raise client_error(str(exc), REPLAY_TOO_LARGE) from exc
        except ConnectionClosed:
            await _until_cancelled()

    @strawberry.subscription(
        description="Every queue's counts now, then again each time the process polls them."
    )
    async def worker_status_updates(
        self, info: Info[GraphQLContext, None]
    ) -> AsyncGenerator[list[WorkerStatus], None]:
        websocket = _websocket(info)
        async for stats in live_engine(websocket).worker_status.updates():
            yield worker_statuses(stats)
