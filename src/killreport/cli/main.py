"""`killreport` root command: every sub-command is registered here, in one table."""

from __future__ import annotations

import sys

from cyclopts import App

from killreport import __version__
from killreport.cli import (
    db,
    feed,
    imports,
    killmails,
    purge,
    queue,
    scan,
    scheduler,
    secrets,
    serve,
    sim,
    snapshot,
    status,
    sync,
    worker,
)
from killreport.db.migration import SchemaOutOfDate
from killreport.settings import SettingsError

app = App(
    name="killreport",
    version=__version__,
    help="KillReport: a self-hosted EVE Online killboard back end.",
)

app.command(imports.import_, name="import")
app.command(killmails.app)
app.command(scan.app)
app.command(feed.app)
app.command(sim.app)

app.command(queue.app)
app.command(snapshot.app)
app.command(snapshot.stats_app)
app.command(sync.sync)
app.command(scheduler.scheduler)
app.command(secrets.app)

for command in (*serve.COMMANDS, db.app, worker.worker, status.status, purge.purge):
    app.command(command)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except (SettingsError, SchemaOutOfDate) as exc:
        print(f"killreport: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
