"""`killreport scan entities`: queue every entity killmails reference but the database lacks."""

from __future__ import annotations

import asyncio

from cyclopts import App

from killreport import container as container_module
from killreport.cli.context import start
from killreport.jobs.scan import scan_entities

app = App(name="scan", help="Find gaps in stored data and queue what is missing.")


async def _scan() -> dict[str, int]:
    settings = start()
    async with container_module.build(settings) as container:
        return await scan_entities(container.database, container.bus)


@app.command
def entities() -> None:
    """Queue every character, corporation, alliance, type and system that stored killmails
    reference but the entity tables lack (the seed's scan:entities)."""
    counts = asyncio.run(_scan())
    for kind, count in counts.items():
        print(f"{kind:<12} {count:>9,} queued")
