"""`killreport worker NAME...`: run queue workers (names as in the seed: `info-alliances`, ...)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Sequence
from typing import Annotated

from cyclopts import Parameter

from killreport import container as container_module
from killreport.bus.contracts import WORKERS
from killreport.cli.context import start
from killreport.cli.process import Role, run_roles
from killreport.container import Container
from killreport.workers.handler import Route
from killreport.workers.routes import ROUTES, UnknownWorker, select_routes
from killreport.workers.runtime import run_routes


def workers_role(names: Sequence[str] = (), routes: Iterable[Route] = ROUTES) -> Role:
    """The role that consumes the named workers' queues (every routed queue when empty)."""
    selected = select_routes(names, routes)

    async def run(container: Container, stop: asyncio.Event) -> None:
        await run_routes(container, selected, stop)

    return Role("workers", run, queues=tuple(route.spec.name for route in selected))


def worker(
    *names: str,
    all_: Annotated[bool, Parameter(name="--all")] = False,
    metrics_port: int | None = None,
) -> None:
    """Consume queues until SIGTERM/SIGINT, then finish in-flight messages and stop.

    Parameters
    ----------
    names
        Worker names (info-alliances, info-corporations, info-characters, info-types,
        alliance-corporations, zkillboard, user-killmails) or queue names.
    all_
        Run every worker that has a handler.
    metrics_port
        Serve Prometheus metrics on this port (default KILLREPORT_METRICS_PORT; none).
    """
    if not names and not all_:
        print(
            "killreport worker: name workers or pass --all; workers: " + ", ".join(WORKERS),
            file=sys.stderr,
        )
        raise SystemExit(2)
    settings = start(**({"metrics_port": metrics_port} if metrics_port else {}))
    try:
        role = workers_role(() if all_ else names)
    except UnknownWorker as exc:
        print(f"killreport worker: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc

    async def serve() -> None:
        async with container_module.build(settings) as container:
            await run_roles(container, [role])

    asyncio.run(serve())
