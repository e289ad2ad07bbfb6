"""`killreport` root command: every sub-command is registered here, in one table.

Commands are registered by import path, so `killreport --help` and each command load
only the modules that command needs (an operator runs `killreport status` many times a
day; importing the API, the simulator and every client for it cost seconds).
"""

from __future__ import annotations

import sys

from cyclopts import App

from killreport import __version__
from killreport.db.errors import SchemaOutOfDate
from killreport.settings import SettingsError

# (command name, "module:attribute", one-line help shown by `killreport --help`).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("up", "killreport.cli.serve:up", "Run the whole system in one process."),
    ("api", "killreport.cli.serve:api", "Serve only the HTTP API."),
    ("db", "killreport.cli.db:app", "Database schema: upgrade, show the current revision."),
    ("worker", "killreport.cli.worker:worker", "Consume queues until SIGTERM/SIGINT."),
    ("status", "killreport.cli.status:status", "Queues, stored data, ESI budget, feed lag."),
    ("purge", "killreport.cli.purge:purge", "Delete every message of the named queues."),
    ("import", "killreport.cli.imports:import_", "Import killmails from archive files."),
    ("killmail", "killreport.cli.killmails:app", "Show a stored killmail."),
    ("scan", "killreport.cli.scan:app", "Find gaps in stored data and queue what is missing."),
    ("feed", "killreport.cli.feed:app", "Live killmail feeds: follow R2Z2, repair a day."),
    ("sim", "killreport.cli.sim:app", "Offline simulator of ESI, R2Z2, zKillboard and SSO."),
    ("queue", "killreport.cli.queue:app", "Queue work for the workers."),
    ("snapshot", "killreport.cli.snapshot:app", "Daily snapshots of alliances and corporations."),
    ("stats", "killreport.cli.snapshot:stats_app", "Aggregates kept on entity rows."),
    ("sync", "killreport.cli.sync:sync", "Queue entities in order and follow the queues to empty."),
    ("scheduler", "killreport.cli.scheduler:scheduler", "Run the seed's schedule (UTC)."),
    (
        "secrets",
        "killreport.cli.secrets:app",
        "The token vault's keys: re-encrypt with the newest.",
    ),
    ("dead", "killreport.cli.dead:app", "Dead letters of a queue: list, replay."),
)

app = App(
    name="killreport",
    version=__version__,
    help="KillReport: a self-hosted EVE Online killboard back end.",
)
for name, import_path, help_text in COMMANDS:
    app.command(import_path, name=name, help=help_text)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except (SettingsError, SchemaOutOfDate) as exc:
        print(f"killreport: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
