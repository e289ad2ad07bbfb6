"""`killreport feed r2z2`: follow zKillboard's live feed (resumes from the stored cursor)."""

from __future__ import annotations

import asyncio
from typing import Any

from cyclopts import App
from sqlalchemy import func, select

from killreport import container as container_module
from killreport.cli.context import start
from killreport.cli.process import Role, run_roles
from killreport.container import Container
from killreport.db.tables import Killmail
from killreport.feeds.r2z2 import R2Z2Follower, read_cursor
from killreport.zkb.errors import ZkbError

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


async def feed_status(container: Container) -> dict[str, Any]:
    """`killreport status` section: killmail totals and how far the R2Z2 cursor lags."""
    async with container.database.transaction() as session:
        count, last_sequence, newest, last_ingest = (
            await session.execute(
                select(
                    func.count(),
                    func.max(Killmail.sequence),
                    func.max(Killmail.killmail_time),
                    func.max(Killmail.ingested_at),
                )
            )
        ).one()
    cursor = await read_cursor(container.database)
    report: dict[str, Any] = {
        "killmails": int(count),
        "last_sequence": last_sequence,
        "newest_killmail_time": newest.isoformat() if newest else None,
        "last_ingested_at": last_ingest.isoformat() if last_ingest else None,
        "r2z2_cursor": cursor,
    }
    if cursor is not None:
        try:
            head = await asyncio.wait_for(container.r2z2.sequence(), timeout=5)
            report["r2z2_lag_entries"] = max(head - cursor + 1, 0)
        except (ZkbError, TimeoutError) as exc:
            report["r2z2_lag_entries"] = f"unknown: {exc or type(exc).__name__}"
    return report
