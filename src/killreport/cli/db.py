"""`killreport db ...`: schema migrations."""

from __future__ import annotations

from cyclopts import App

from killreport.cli.context import start
from killreport.db import migration

app = App(name="db", help="Database schema: upgrade to the newest migration, show the current one.")


@app.command
def upgrade(revision: str = "head") -> None:
    """Upgrade the configured database to REVISION (default: the newest)."""
    settings = start()
    migration.upgrade(settings.database_url, revision)
    print(f"database at {migration.current_revision(settings.database_url)}")


@app.command
def current() -> None:
    """Print the database's current revision and the newest one this code ships."""
    settings = start()
    now = migration.current_revision(settings.database_url) or "(empty)"
    head = migration.head_revision()
    state = "up to date" if now == head else "needs `killreport db upgrade`"
    print(f"current: {now}\nhead:    {head}\n{state}")
