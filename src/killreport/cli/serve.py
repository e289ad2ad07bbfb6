"""`killreport up` (the whole system in one process) and `killreport api`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from killreport import container as container_module
from killreport.cli.context import start
from killreport.cli.feed import feed_role
from killreport.cli.process import Role, api_role, run_roles
from killreport.cli.scheduler import scheduler_role
from killreport.cli.worker import workers_role
from killreport.db import migration
from killreport.settings import Settings


async def _serve(settings: Settings, roles: Sequence[Role]) -> None:
    async with container_module.build(settings) as container:
        await run_roles(container, roles)


def up(*, host: str | None = None, port: int | None = None) -> None:
    """Run the whole system in one process: upgrade the database, then serve the API.

    Parameters
    ----------
    host
        Address to listen on (default KILLREPORT_API_HOST, 127.0.0.1).
    port
        Port to listen on (default KILLREPORT_API_PORT, 8000).
    """
    settings = start()
    migration.upgrade(settings.database_url)
    roles = [
        api_role(host or settings.api_host, port or settings.api_port),
        workers_role(),
        scheduler_role(),
        feed_role(),
    ]
    asyncio.run(_serve(settings, roles))


def api(*, host: str | None = None, port: int | None = None) -> None:
    """Serve only the HTTP API (GraphQL, pages, /healthz, /readyz, /metrics).

    Parameters
    ----------
    host
        Address to listen on (default KILLREPORT_API_HOST, 127.0.0.1).
    port
        Port to listen on (default KILLREPORT_API_PORT, 8000).
    """
    settings = start()
    asyncio.run(_serve(settings, [api_role(host or settings.api_host, port or settings.api_port)]))


COMMANDS = (up, api)
