"""Serve an ASGI app on a free loopback port inside the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve(app: Any, port: int = 0) -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 with a free port (or `port`); yield its base URL."""
    server = _QuietServer(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, lifespan="on", proxy_headers=False
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
