"""GraphQL over WebSocket on `/graphql`: per-address limits, a live connection, keepalives.

`LiveGraphQLRouter` is strawberry's FastAPI router with three additions for the live
engine: a WebSocket from an address over its connection limit is closed with a clear
code and reason; every accepted WebSocket gets a `LiveConnection` (its bounded buffer)
on `websocket.state.live`; and `graphql-transport-ws` connections get a `ping` every
`live_keepalive_interval_s` (the legacy `graphql-ws` protocol gets strawberry's `ka`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.websockets import WebSocket
from strawberry.fastapi import GraphQLRouter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)

from killreport.api.graphql.context import GraphQLContext
from killreport.api.graphql.live_context import LiveContext
from killreport.api.live.connection import LiveCloseCode, LiveConnection
from killreport.api.live.engine import LiveEngine
from killreport.api.live.errors import TooManyConnections
from killreport.api.rate_limit import ClientAddress

logger = logging.getLogger(__name__)

# A WebSocket close reason must fit in a control frame (123 bytes).
MAX_REASON_BYTES = 123


def live_engine(websocket: WebSocket) -> LiveEngine[Any]:
    """The process's live engine, started by the app's lifespan."""
    engine: LiveEngine[Any] = websocket.app.state.live
    return engine


def live_connection(websocket: WebSocket) -> LiveConnection:
    """The live connection of an accepted WebSocket."""
    connection: LiveConnection = websocket.state.live
    return connection


def _reason(text: str) -> str:
    return text.encode()[:MAX_REASON_BYTES].decode(errors="ignore")


class KeepaliveTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with server pings, so idle proxies keep the connection open."""

    keepalive_task: asyncio.Task[None] | None = None

    async def handle_connection_init(self, message: Any) -> None:
        """Acknowledge as usual, then start pinging."""
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self.keepalive_task is None:
            interval_s = live_engine(self.websocket.ws).keepalive_interval_s  # type: ignore[attr-defined]
            self.keepalive_task = asyncio.create_task(self._ping(interval_s))

    async def _ping(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        """Stop pinging, then shut down as usual."""
        if self.keepalive_task is not None:
            self.keepalive_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.keepalive_task
        await super().shutdown()


class LiveGraphQLRouter(GraphQLRouter[Any, Any]):
    """strawberry's router whose WebSockets are counted, buffered and kept alive."""

    graphql_transport_ws_handler_class = KeepaliveTransportWSHandler

    def __init__(self, *args: Any, addresses: ClientAddress, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = addresses

    def client_of(self, websocket: WebSocket) -> str:
        """The client's address: the peer, or X-Forwarded-For from a trusted proxy."""
        peer = websocket.client.host if websocket.client else None
        return self.addresses.of(peer, websocket.headers.get("x-forwarded-for"))

    async def run(self, request: Any, context: Any = None, root_value: Any = None) -> Any:
        """HTTP as usual; a WebSocket holds an address slot and a live connection."""
        if not self.is_websocket_request(request):
            return await super().run(request, context=context, root_value=root_value)
        websocket: WebSocket = request
        engine = live_engine(websocket)
        address = self.client_of(websocket)
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(engine.limits.hold(address))
            except TooManyConnections as exc:
                logger.warning("refused a live connection: %s", exc)
                subprotocol = await self.pick_websocket_subprotocol(websocket)
                await websocket.accept(subprotocol=subprotocol)
                code = LiveCloseCode.TOO_MANY_CONNECTIONS
                await websocket.close(code=code, reason=_reason(str(exc)))
                return websocket

            async def close(code: int, reason: str) -> None:
                await websocket.close(code=code, reason=_reason(reason))

            connection = engine.connection(address, close)
            websocket.state.live = connection
            stack.callback(connection.forget)
            if isinstance(context, GraphQLContext):
                context = LiveContext(context)
            return await super().run(websocket, context=context, root_value=root_value)
