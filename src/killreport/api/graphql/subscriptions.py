"""Subscriptions: `newKillmail(filter, afterSequence)` and `workerStatusUpdates`.

Both are served by the process's live engine (`api/live`): each new killmail was read
once by the feed and every subscriber's selection is resolved from that one object, so
a nested field costs no statement per subscriber; the worker status comes from one
poller per process.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, Sequence

import strawberry
from starlette.websockets import WebSocket
from strawberry.types import Info

from killreport.api.graphql.context import GraphQLContext
from killreport.api.graphql.errors import BAD_USER_INPUT, client_error
from killreport.api.graphql.inputs import KillmailFilterInput, to_filter
from killreport.api.graphql.killmail_types import Killmail
from killreport.api.graphql.status_query import WorkerStatus, worker_statuses
from killreport.api.graphql.websocket import live_connection, live_engine
from killreport.api.live.errors import ConnectionClosed, ReplayTooLarge
from killreport.db.engine import Database
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.filters import KillmailFilter
from killreport.killmails.matcher import matches
from killreport.killmails.replay import matching_after_sequence

REPLAY_TOO_LARGE = "REPLAY_TOO_LARGE"
NOT_A_WEBSOCKET = "NOT_A_WEBSOCKET"


def _websocket(info: Info[GraphQLContext, None]) -> WebSocket:
    request = info.context.request
    if not isinstance(request, WebSocket):
        raise client_error("subscriptions are served over WebSocket on /graphql", NOT_A_WEBSOCKET)
    return request


async def _replay(
    database: Database, wanted: KillmailFilter, after: int, up_to: int, limit: int
) -> Sequence[KillmailDetail]:
    async with database.transaction() as session:
        return await matching_after_sequence(session, wanted, after, up_to=up_to, limit=limit)


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
        stream = live_engine(websocket).feed.subscribe(
            live_connection(websocket),
            functools.partial(matches, wanted),
            after_sequence=after_sequence,
            replay=functools.partial(_replay, info.context.database, wanted),
        )
        try:
            async for detail in stream:
                yield Killmail(detail=detail)
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
