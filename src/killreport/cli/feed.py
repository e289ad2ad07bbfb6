"""`killreport feed r2z2`: follow zKillboard's live feed (resumes from the stored cursor)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from typing import Any

from cyclopts import App
from sqlalchemy import func, select

from killreport import container as container_module
from killreport.cli.context import start
from killreport.cli.process import Role, run_roles
from killreport.container import Container
from killreport.db.tables import Killmail
from killreport.feeds.r2z2 import R2Z2Follower, read_cursor
from killreport.feeds.repair import RepairSummary, repair_day
from killreport.jobs.scan import MissingPublisher
from killreport.zkb.errors import ZkbError, ZkbNotFound

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


def _age_s(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:  # SQLite hands naive values back for aggregates
        then = then.replace(tzinfo=UTC)
    return round((now - then).total_seconds(), 1)


async def feed_status(container: Container) -> dict[str, Any]:
    """`killreport status` section: killmail totals and how far the R2Z2 cursor lags."""
    async with container.database.reading() as session:
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
    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "killmails": int(count),
        "last_sequence": last_sequence,
        "newest_killmail_time": newest.isoformat() if newest else None,
        "last_ingested_at": last_ingest.isoformat() if last_ingest else None,
        # How far behind the game the newest stored killmail is, and since when nothing came.
        "newest_killmail_age_s": _age_s(now, newest),
        "last_ingest_age_s": _age_s(now, last_ingest),
        "r2z2_cursor": cursor,
    }
    if cursor is not None:
        try:
            head = await asyncio.wait_for(container.r2z2.sequence(), timeout=5)
            report["r2z2_lag_entries"] = max(head - cursor + 1, 0)
        except (ZkbError, TimeoutError) as exc:
            report["r2z2_lag_entries"] = f"unknown: {str(exc) or type(exc).__name__}"
    return report
