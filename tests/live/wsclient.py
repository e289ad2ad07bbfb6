"""A GraphQL-over-WebSocket client for tests and benchmarks, on the `websockets` library.

It speaks both protocols the API serves: `graphql-transport-ws` (subscribe / next /
complete, ping-pong) and the legacy Apollo `graphql-ws` (start / data / complete, ka).
Every message is recorded with its arrival time, so callers can check what arrived, in
which order, once, and how fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from websockets.asyncio.client import ClientConnection

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


@dataclass
class Operation:
    """One subscription's results as they arrived."""

    id: str
    results: list[dict[str, Any]] = field(default_factory=list)
    arrived_at: list[float] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    completed: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        """Wait until `count` results (or an error or completion) arrived."""
        async with asyncio.timeout(timeout_s):
            while len(self.results) < count and not self.errors and not self.completed.is_set():
                self.changed.clear()
                await self.changed.wait()
        return self.results


class GraphQLSocket:
    """One WebSocket to `/graphql` with any number of operations on it."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.operations: dict[str, Operation] = {}
        self.messages: list[dict[str, Any]] = []
        self._ids = 0
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls,
        base_url: str,
        *,
        protocol: str = TRANSPORT_WS,
        read: bool = True,
        receive_buffer: int | None = None,
    ) -> AsyncIterator[GraphQLSocket]:
        """Open, initialise and (with `read`) keep reading until the block exits.

        `read=False` makes a client that reads nothing after the handshake; with a small
        `receive_buffer` the server's writes back up after a few kilobytes.
        """
        parts = urlsplit(base_url)
        sock = None
        if receive_buffer is not None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        url = f"ws://{parts.netloc}/graphql"
        async with websockets.connect(
            url,
            subprotocols=[protocol],  # type: ignore[list-item]
            sock=sock,
            max_queue=1 if not read else 1024,
            max_size=2**24,
            ping_interval=None,
        ) as ws:
            client = cls(ws, protocol)
            await client._init()
            if read:
                client._reader = asyncio.create_task(client._read())
            try:
                yield client
            finally:
                if client._reader is not None:
                    client._reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await client._reader

    async def _init(self) -> None:
        await self.ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        while True:
            message = json.loads(await self.ws.recv())
            if message["type"] == "connection_ack":
                return
            if message["type"] not in ("ka", "ping"):
                raise AssertionError(f"no connection_ack: {message}")

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> Operation:
        """Start an operation; its results collect in the returned Operation."""
        self._ids += 1
        operation = Operation(str(self._ids))
        self.operations[operation.id] = operation
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload = {"query": query, "variables": variables or {}}
        await self.ws.send(json.dumps({"id": operation.id, "type": kind, "payload": payload}))
        return operation

    async def stop(self, operation: Operation) -> None:
        """Stop an operation."""
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.ws.send(json.dumps({"id": operation.id, "type": kind}))

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                self.handle(json.loads(raw))

    def handle(self, message: dict[str, Any]) -> None:
        """Record one server message."""
        self.messages.append(message)
        kind = message["type"]
        if kind == "ping":
            asyncio.get_running_loop().create_task(self.ws.send(json.dumps({"type": "pong"})))
            return
        operation = self.operations.get(message.get("id", ""))
        if operation is None:
            return
        if kind in ("next", "data"):
            payload = message["payload"]
            if payload.get("errors"):
                operation.errors.extend(payload["errors"])
            else:
                operation.results.append(payload["data"])
                operation.arrived_at.append(time.time())
        elif kind == "error":
            operation.errors.append(message["payload"])
        elif kind == "complete":
            operation.completed.set()
        operation.changed.set()

    async def drain(self, timeout_s: float) -> None:
        """Read (for a client made with read=False) until closed or `timeout_s` passes."""
        with contextlib.suppress(TimeoutError, websockets.ConnectionClosed):
            async with asyncio.timeout(timeout_s):
                async for raw in self.ws:
                    self.handle(json.loads(raw))

    async def closed(self, timeout_s: float = 10.0) -> tuple[int | None, str | None]:
        """Wait for the server to close; its close code and reason."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self.ws.wait_closed()
        frame = self.ws.close_rcvd
        return (frame.code, frame.reason) if frame is not None else (None, None)
