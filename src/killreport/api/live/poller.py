"""One poller per process whose latest result every subscriber shares (workerStatusUpdates)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class SharedPoller(Generic[T]):
    """Calls `fetch` every `interval_s` while anyone listens; each listener gets every result.

    A slow listener skips to the newest result instead of queueing old ones, so it costs
    nothing to others. The first listener starts the poll; the last one out stops it.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[T]],
        interval_s: float,
        *,
        errors: tuple[type[Exception], ...],
        name: str,
    ) -> None:
        self._fetch = fetch
        self._interval_s = interval_s
        self._errors = errors
        self._name = name
        self._latest: T | None = None
        self._version = 0
        self._changed = asyncio.Event()
        self._listeners = 0
        self._task: asyncio.Task[None] | None = None
        self.polls = 0

    @property
    def listeners(self) -> int:
        """How many subscribers share the poll now."""
        return self._listeners

    async def updates(self) -> AsyncIterator[T]:
        """The latest result now (once there is one), then each new one."""
        self._listeners += 1
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"poll-{self._name}"
            )
        seen = 0
        try:
            while True:
                changed = self._changed
                if self._version > seen and self._latest is not None:
                    seen = self._version
                    yield self._latest
                    continue
                await changed.wait()
        finally:
            self._listeners -= 1
            if self._listeners == 0:
                await self.stop()

    async def stop(self) -> None:
        """Stop polling (the next listener starts it again)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                value = await self._fetch()
            except self._errors as exc:
                logger.warning("poll %s failed, keeping the last result: %s", self._name, exc)
            else:
                self.polls += 1
                self._latest = value
                self._version += 1
                changed, self._changed = self._changed, asyncio.Event()
                changed.set()
            await asyncio.sleep(self._interval_s)
