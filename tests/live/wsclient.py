"""A GraphQL-over-WebSocket client for tests and benchmarks, on the `websockets` library.

It speaks both protocols the API serves: `graphql-transport-ws` (subscribe / next /
complete, ping-pong) and the legacy Apollo `graphql-ws` (start / data / complete, ka).
Every message is recorded with its arrival time, so callers can check what arrived, in
which order, once, and how fast.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
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
    ) -> AsyncIterator[GraphQLSocket]:
        """Open, initialise and keep reading until the block exits."""
        url = f"ws://{urlsplit(base_url).netloc}/graphql"
        async with websockets.connect(
            url,
            subprotocols=[protocol],  # type: ignore[list-item]
            max_size=2**24,
            ping_interval=None,
        ) as ws:
            client = cls(ws, protocol)
            await client._init()
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

    async def closed(self, timeout_s: float = 10.0) -> tuple[int | None, str | None]:
        """Wait for the server to close; its close code and reason."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self.ws.wait_closed()
        frame = self.ws.protocol.close_rcvd
        return (frame.code, frame.reason) if frame is not None else (None, None)


class StalledSocket:
    """A WebSocket client on a bare TCP stream that stops reading after subscribing.

    Its socket has a small receive buffer and its stream reader a small limit, so the
    server's writes back up once the server's own socket buffer is full (on loopback,
    with its 64 KiB segments, Linux lets that grow past a megabyte): what a client that
    reads nothing looks like from the server. `read_all` reads everything later, the
    close frame included.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.texts: list[dict[str, Any]] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None

    @classmethod
    async def open(cls, base_url: str, query: str, *, subscriptions: int = 1) -> StalledSocket:
        """Handshake, connection_init and the subscriptions; then nothing is read."""
        parts = urlsplit(base_url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1024)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET /graphql HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {TRANSPORT_WS}\r\n\r\n".encode()
        )
        status = await reader.readline()
        if b" 101 " not in status:
            raise AssertionError(f"no upgrade: {status!r}")
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        client = cls(reader, writer)
        client.send({"type": "connection_init", "payload": {}})
        for n in range(subscriptions):
            client.send({"id": str(n + 1), "type": "subscribe", "payload": {"query": query}})
        await writer.drain()
        return client

    def send(self, message: dict[str, Any]) -> None:
        """One masked text frame."""
        data = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.writer.write(header + mask + masked)

    async def read_all(self, timeout_s: float = 10.0) -> None:
        """Read frames until the server's close frame (or the timeout)."""
        with contextlib.suppress(TimeoutError, asyncio.IncompleteReadError):
            async with asyncio.timeout(timeout_s):
                while self.close_code is None:
                    first, second = await self.reader.readexactly(2)
                    length = second & 0x7F
                    if length == 126:
                        (length,) = struct.unpack("!H", await self.reader.readexactly(2))
                    elif length == 127:
                        (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
                    payload = await self.reader.readexactly(length)
                    opcode = first & 0x0F
                    if opcode == 0x1:
                        self.texts.append(json.loads(payload))
                    elif opcode == 0x8:
                        (self.close_code,) = struct.unpack("!H", payload[:2])
                        self.close_reason = payload[2:].decode()

    def results(self, operation_id: str = "1") -> list[dict[str, Any]]:
        """One operation's `next` payloads' data, in arrival order."""
        return [
            m["payload"]["data"]
            for m in self.texts
            if m.get("type") == "next" and m.get("id") == operation_id
        ]

    def close(self) -> None:
        """Drop the TCP connection."""
        self.writer.close()
