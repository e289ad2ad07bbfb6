"""`killreport up` (the whole system in one process) and `killreport api`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pydantic import SecretStr

from killreport import container as container_module
from killreport.cli.context import start
from killreport.cli.feed import feed_role
from killreport.cli.process import Role, api_role, run_roles
from killreport.cli.scheduler import scheduler_role
from killreport.cli.worker import workers_role
from killreport.db import migration
from killreport.settings import Settings
from killreport.sim import SimConfig, run_simulator
from killreport.sim.server import SSO_CLIENT_ID, SSO_CLIENT_SECRET

# `up --sim`: killmails R2Z2 publishes per second, enough to watch them flow.
SIM_PUBLISH_PER_S = 1.0


async def _serve(settings: Settings, roles: Sequence[Role]) -> None:
    async with container_module.build(settings) as container:
        await run_roles(container, roles)


async def _serve_simulated(
    settings: Settings, roles: Sequence[Role], universe: str, publish_per_s: float
) -> None:
    """Start the simulator in this process and run the roles against its endpoints."""
    config = SimConfig(universe=universe, r2z2_publish_per_s=publish_per_s)
    async with run_simulator(config) as sim:
        endpoints = sim.endpoints
        simulated = settings.model_copy(
            update={
                "esi_url": endpoints["esi"],
                "r2z2_url": endpoints["r2z2"],
                "zkb_api_url": endpoints["zkb_api"],
                "sso_url": endpoints["sso"],
                # The simulator's registered application, unless one is configured.
                "sso_client_id": settings.sso_client_id or SSO_CLIENT_ID,
                "sso_client_secret": settings.sso_client_secret
                if settings.sso_client_id
                else SecretStr(SSO_CLIENT_SECRET),
            }
        )
        print(
            f"simulator at {sim.url} ({universe} universe) publishing {publish_per_s:g} "
            "killmails/s; watch them with `killreport status`",
            flush=True,
        )
        await _serve(simulated, roles)


def up(
    *,
    host: str | None = None,
    port: int | None = None,
    sim: bool = False,
    sim_universe: str = "small",
    sim_rate: float = SIM_PUBLISH_PER_S,
) -> None:
    """Run the whole system in one process: migrate, then API, workers, feed and scheduler.

    Parameters
    ----------
    host
        Address to listen on (default KILLREPORT_API_HOST, 127.0.0.1).
    port
        Port to listen on (default KILLREPORT_API_PORT, 8000).
    sim
        Start the offline simulator in this process and point ESI, R2Z2, the zKillboard
        API and SSO at it (the database is still KILLREPORT_DATABASE_URL).
    sim_universe
        Simulated universe: tiny, small, medium or large.
    sim_rate
        Killmails the simulated R2Z2 publishes per second.
    """
    settings = start()
    migration.upgrade(settings.database_url)
    roles = [
        api_role(host or settings.api_host, port or settings.api_port),
        workers_role(),
        scheduler_role(),
        feed_role(),
    ]
    if sim:
        asyncio.run(_serve_simulated(settings, roles, sim_universe, sim_rate))
    else:
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
