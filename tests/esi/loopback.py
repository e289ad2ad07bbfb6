"""An aiohttp session that reaches real host names on loopback and records what it sent.

Every host name resolves to 127.0.0.1, so a client configured with `esi.evetech.net`
talks to the simulator; the resolver's lookups and the headers of every request sent
show whether anything left the client at all.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class LoopbackResolver(AbstractResolver):
    """Resolves every host name to 127.0.0.1 and remembers each lookup."""

    def __init__(self) -> None:
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


@dataclass
class Wire:
    """The session and what went through it."""

    session: aiohttp.ClientSession
    resolver: LoopbackResolver
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def on_host(endpoint: str, host: str) -> str:
    """`endpoint` (a simulator URL on 127.0.0.1) with its host name replaced by `host`."""
    parts = urlsplit(endpoint)
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}"))


@asynccontextmanager
async def loopback_session() -> AsyncIterator[Wire]:
    """A session whose host names all lead to 127.0.0.1, recording each request's headers."""
    resolver = LoopbackResolver()
    sent: list[tuple[str, dict[str, str]]] = []

    async def headers_sent(
        _session: aiohttp.ClientSession,
        _context: SimpleNamespace,
        params: aiohttp.TraceRequestHeadersSentParams,
    ) -> None:
        sent.append((str(params.url), dict(params.headers)))

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(headers_sent)
    connector = aiohttp.TCPConnector(resolver=resolver)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace]) as session:
        yield Wire(session, resolver, sent)
