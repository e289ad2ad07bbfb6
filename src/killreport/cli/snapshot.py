"""`killreport snapshot alliances|corporations` and `killreport stats alliance-counts`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cyclopts import App

from killreport.cli.context import start
from killreport.db.engine import Database
from killreport.jobs import snapshots

app = App(name="snapshot", help="Daily snapshots: one row per entity per UTC day.")
stats_app = App(name="stats", help="Aggregates kept on entity rows.")


def _run(work: Callable[[Database], Awaitable[int]]) -> int:
    settings = start()

    async def main() -> int:
        database = Database.from_url(settings.database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


@app.command
def alliances() -> None:
    """Snapshot every open alliance's corporation and member counts for today (UTC)."""
    print(f"alliance snapshot: {_run(snapshots.take_alliance_snapshot)} alliances")


@app.command
def corporations() -> None:
    """Snapshot every open corporation's member count and alliance for today (UTC)."""
    print(f"corporation snapshot: {_run(snapshots.take_corporation_snapshot)} corporations")


@stats_app.command(name="alliance-counts")
def alliance_counts() -> None:
    """Store each alliance's corporation, member, kill and loss counts."""
    print(f"alliance counts: {_run(snapshots.refresh_alliance_counts)} alliances")
