"""`killreport feed r2z2`: follow zKillboard's live feed (resumes from the stored cursor)."""

from __future__ import annotations

import asyncio

from cyclopts import App

from killreport import container as container_module
from killreport.cli.context import start
from killreport.cli.process import Role, run_roles
from killreport.container import Container
from killreport.feeds.r2z2 import R2Z2Follower

app = App(name="feed", help="Live killmail feeds.")


def feed_role(from_sequence: int | None = None) -> Role:
    """The role that follows R2Z2 until the process stops."""

    async def run(container: Container, stop: asyncio.Event) -> None:
        follower = R2Z2Follower(container.database, container.events, container.bus, container.r2z2)
        await follower.run(stop, from_sequence=from_sequence)

    return Role("feed", run)


async def _serve(from_sequence: int | None) -> None:
    settings = start()
    async with container_module.build(settings) as container:
        await run_roles(container, [feed_role(from_sequence)])


@app.command
def r2z2(*, from_sequence: int | None = None) -> None:
    """Follow R2Z2 until SIGTERM/SIGINT; the cursor is saved with each batch of killmails.

    Parameters
    ----------
    from_sequence
        Where to start when no cursor is stored yet (default: the published head).
    """
    asyncio.run(_serve(from_sequence))
