"""`killreport import PATH...`: EVE Ref archives, zKillboard dumps and JSON Lines.

The command imports what it uses when it runs (the import path, the progress bar), and
wires only the database, the bus and the event hub: no HTTP clients, no ESI, so the
importing process stays small beside its reader and preparers.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from cyclopts import Parameter

from killreport.jobs.reader import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    from rich.table import Table

    from killreport.bus.protocol import MessageBus
    from killreport.db.engine import Database
    from killreport.events.hub import EventHub
    from killreport.jobs.imports import ImportSummary
    from killreport.settings import Settings


def _summary_table(summary: ImportSummary) -> Table:
    from rich.table import Table

    table = Table(title="import summary", show_header=False)
    rate = summary.seen / summary.elapsed_s if summary.elapsed_s else 0.0
    table.add_row("new", f"{summary.new:,}")
    table.add_row("duplicate", f"{summary.duplicate:,}")
    table.add_row("rejected", f"{summary.rejected:,}")
    table.add_row("missing entities queued", f"{summary.missing_published:,}")
    table.add_row("elapsed", f"{summary.elapsed_s:,.1f} s ({rate:,.0f} killmails/s)")
    return table


def _reasons_table(summary: ImportSummary) -> Table:
    from rich.table import Table

    table = Table(title="rejected (examples)")
    table.add_column("killmail")
    table.add_column("where")
    table.add_column("reason")
    for rejection in summary.examples:
        killmail = str(rejection.killmail_id) if rejection.killmail_id else "-"
        table.add_row(killmail, rejection.origin, rejection.reason)
    return table


@dataclass(frozen=True, slots=True)
class _Wiring:
    database: Database
    bus: MessageBus
    events: EventHub


@asynccontextmanager
async def _wire(settings: Settings) -> AsyncIterator[_Wiring]:
    """What an import needs of the container: the database (schema checked), bus, events."""
    from killreport.bus.factory import create_bus
    from killreport.db.engine import Database
    from killreport.db.migration import SchemaOutOfDate, check_schema
    from killreport.events.hub import build_hub

    database = Database.from_url(settings.database_url)
    try:
        await check_schema(database)
    except SchemaOutOfDate:
        await database.dispose()
        raise
    bus = create_bus(settings, database)
    events = build_hub(settings.redis_url)
    try:
        yield _Wiring(database, bus, events)
    finally:
        await events.close()
        await bus.close()
        await database.dispose()


async def _run(paths: list[Path], batch_size: int, quiet: bool, bulk: bool) -> ImportSummary:
    import asyncio

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from killreport.cli.context import start
    from killreport.jobs.imports import import_paths, total_bytes

    settings = start()
    console = Console(stderr=True)
    async with _wire(settings) as wiring:
        columns = (
            TextColumn("[bold]import"),
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[killmails]:,} killmails, {task.fields[rate]:,.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, disable=quiet) as progress:
            task = progress.add_task("import", total=total_bytes(paths), killmails=0, rate=0.0)
            loop = asyncio.get_running_loop()
            started = loop.time()

            def report(seen: int, bytes_read: int) -> None:
                elapsed = max(loop.time() - started, 1e-9)
                progress.update(task, completed=bytes_read, killmails=seen, rate=seen / elapsed)

            return await import_paths(
                wiring.database,
                wiring.events,
                wiring.bus,
                paths,
                source="import",
                batch_size=batch_size,
                progress=report,
                bulk=bulk,
            )


def import_(
    *paths: Path,
    batch_size: Annotated[int, Parameter(name="--batch-size")] = DEFAULT_BATCH_SIZE,
    quiet: bool = False,
    bulk: bool = False,
) -> None:
    """Import killmails from files: EVE Ref `killmails-YYYY-MM-DD.tar.bz2`, zKillboard raw
    daily dumps (.json[.gz]) and JSON Lines (ESI body with killmail_hash, R2Z2 entry or
    zKillboard API element per line). Safe to rerun: stored killmails are skipped.

    Parameters
    ----------
    paths
        Files to import, in order.
    batch_size
        Killmails per transaction.
    quiet
        No progress bar.
    bulk
        On an empty database, load without the secondary indexes and per-row checks
        and build them at the end (faster for a first big import).
    """
    import asyncio

    from rich.console import Console

    from killreport.jobs.archives import ArchiveError
    from killreport.jobs.imports import ImportFailed

    if not paths:
        print("killreport import: give at least one file", file=sys.stderr)
        raise SystemExit(2)
    try:
        summary = asyncio.run(_run(list(paths), batch_size, quiet, bulk))
    except (ArchiveError, ImportFailed, OSError) as exc:
        print(f"killreport import: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    console = Console()
    console.print(_summary_table(summary))
    if summary.examples:
        console.print(_reasons_table(summary))
        for reason, count in summary.reasons.most_common(10):
            console.print(f"  {count:>6,}  {reason}")


COMMANDS = (import_,)
