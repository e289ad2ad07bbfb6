"""`killreport import PATH...`: EVE Ref archives, zKillboard dumps and JSON Lines."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter
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
from rich.table import Table

from killreport import container as container_module
from killreport.cli.context import start
from killreport.jobs.archives import ArchiveError
from killreport.jobs.imports import (
    DEFAULT_BATCH_SIZE,
    ImportFailed,
    ImportSummary,
    import_paths,
    total_bytes,
)


def _summary_table(summary: ImportSummary) -> Table:
    table = Table(title="import summary", show_header=False)
    rate = summary.seen / summary.elapsed_s if summary.elapsed_s else 0.0
    table.add_row("new", f"{summary.new:,}")
    table.add_row("duplicate", f"{summary.duplicate:,}")
    table.add_row("rejected", f"{summary.rejected:,}")
    table.add_row("missing entities queued", f"{summary.missing_published:,}")
    table.add_row("elapsed", f"{summary.elapsed_s:,.1f} s ({rate:,.0f} killmails/s)")
    return table


def _reasons_table(summary: ImportSummary) -> Table:
    table = Table(title="rejected (examples)")
    table.add_column("killmail")
    table.add_column("where")
    table.add_column("reason")
    for rejection in summary.examples:
        killmail = str(rejection.killmail_id) if rejection.killmail_id else "-"
        table.add_row(killmail, rejection.origin, rejection.reason)
    return table


async def _run(paths: list[Path], batch_size: int, quiet: bool, bulk: bool) -> ImportSummary:
    settings = start()
    console = Console(stderr=True)
    async with container_module.build(settings) as container:
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
                container.database,
                container.events,
                container.bus,
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
        On an empty database, load without the killmail and attacker secondary indexes
        and build them at the end (faster for a first big import).
    """
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
