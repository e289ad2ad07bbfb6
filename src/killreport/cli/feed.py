"""`killreport feed r2z2`: follow zKillboard's live feed (resumes from the stored cursor)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime

from cyclopts import App

from killreport import container as container_module
from killreport.cli.context import start
from killreport.cli.process import Role, run_roles
from killreport.container import Container
from killreport.feeds.cursor import CURSOR_NAME
from killreport.feeds.pause import pause as pause_feed
from killreport.feeds.pause import resume as resume_feed
from killreport.feeds.r2z2 import R2Z2Follower
from killreport.feeds.repair import RepairSummary, repair_day
from killreport.jobs.scan import MissingPublisher
from killreport.zkb.errors import ZkbNotFound

app = App(name="feed", help="Live killmail feeds.")


def feed_role(from_sequence: int | None = None) -> Role:
    """The role that follows R2Z2 until the process stops."""

    async def run(container: Container, stop: asyncio.Event) -> None:
        follower = R2Z2Follower(container.database, container.events, container.bus, container.r2z2)
        await follower.run(stop, from_sequence=from_sequence)

    return Role("feed", run)


async def _serve(from_sequence: int | None, metrics_port: int | None = None) -> None:
    settings = start(**({"metrics_port": metrics_port} if metrics_port else {}))
    async with container_module.build(settings) as container:
        await run_roles(container, [feed_role(from_sequence)])


@app.command
def r2z2(*, from_sequence: int | None = None, metrics_port: int | None = None) -> None:
    """Follow R2Z2 until SIGTERM/SIGINT; the cursor is saved with each batch of killmails.

    Parameters
    ----------
    from_sequence
        Where to start when no cursor is stored yet (default: the published head).
    metrics_port
        Serve Prometheus metrics on this port (default KILLREPORT_METRICS_PORT; none).
    """
    asyncio.run(_serve(from_sequence, metrics_port))


async def _repair(day: date) -> RepairSummary:
    settings = start()
    async with container_module.build(settings) as container:
        return await repair_day(
            container.database,
            container.events,
            container.r2z2,
            container.esi,
            day,
            publisher=MissingPublisher(container.bus),
        )


def print_repair(summary: RepairSummary) -> None:
    """The repair summary: counts, then each rejected and failed killmail with its reason."""
    print(
        f"{summary.day}: {summary.listed} in the history, {summary.stored_already} stored "
        f"already, {summary.fetched} fetched from ESI: {summary.new} new, "
        f"{summary.duplicate} duplicate, {len(summary.rejected)} rejected, "
        f"{len(summary.failed)} failed; {summary.missing_published} missing entities queued"
    )
    for rejection in summary.rejected:
        print(f"  rejected {rejection.killmail_id}: {rejection.reason}")
    for failure in summary.failed:
        print(f"  failed {failure}")


@app.command
def repair(*, date: str) -> None:
    """Fill gaps of one UTC day from R2Z2's daily history, fetching only missing killmails.

    Parameters
    ----------
    date
        The UTC day, YYYY-MM-DD.
    """
    try:
        day = datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=UTC).date()
    except ValueError as exc:
        raise SystemExit(f"killreport feed repair: --date wants YYYY-MM-DD, got {date!r}") from exc
    try:
        summary = asyncio.run(_repair(day))
    except ZkbNotFound as exc:
        print(f"killreport feed repair: no history for {day}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    print_repair(summary)
    if summary.failed:
        raise SystemExit(1)


async def _set_paused(paused: bool, by: str) -> bool:
    settings = start()
    async with container_module.build(settings) as container:
        if paused:
            await pause_feed(container.database, CURSOR_NAME, by)
            return True
        return await resume_feed(container.database, CURSOR_NAME)


@app.command
def pause(*, by: str = "cli") -> None:
    """Pause the R2Z2 feed on every host: followers stop reading (cursor kept) until resumed.

    Parameters
    ----------
    by
        Who paused it, shown by `killreport status`.
    """
    asyncio.run(_set_paused(True, by))
    print("r2z2 feed paused; `killreport feed resume` to continue")


@app.command
def resume() -> None:
    """Resume a paused R2Z2 feed; it continues from its cursor."""
    was_paused = asyncio.run(_set_paused(False, ""))
    print("r2z2 feed resumed" if was_paused else "r2z2 feed was not paused")
