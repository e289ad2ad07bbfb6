"""The live engine's place in the API app's lifespan: started before serving, stopped after."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from killreport.api.live.engine import running_engine
from killreport.api.live.source import DatabaseKillmails, plain
from killreport.container import Container

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def live_lifespan(container: Container) -> Lifespan:
    """A lifespan that runs this process's one live engine as `app.state.live`."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        source = DatabaseKillmails(container.database, plain)
        async with running_engine(
            container.settings, source, container.events, container.bus
        ) as engine:
            app.state.live = engine
            yield

    return lifespan
