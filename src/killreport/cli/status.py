"""`killreport status [--json]`: the state of the deployment, one section per concern.

Sections are one table: add a concern with one line in `SECTIONS`, a name and an
async function Container -> dict (ESI budget, entity counts, killmail totals, ...).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table
from sqlalchemy import Text, func, literal, select

from killreport import container as container_module
from killreport.cli.context import start
from killreport.container import Container
from killreport.db.base import Base
from killreport.db.tables import Killmail
from killreport.operations.feed_lag import feed_status
from killreport.operations.overview import budget_section, processes_section, queue_section
from killreport.universe.repository import count_by_kind

StatusSection = Callable[[Container], Awaitable[dict[str, Any] | list[dict[str, Any]]]]


async def budget_groups_section(container: Container) -> dict[str, Any]:
    """Each ESI rate-limit bucket: tokens, available, in flight, pause."""
    return (await container.budget.snapshot()).group_rows()


async def stored_section(container: Container) -> dict[str, Any]:
    """Stored rows of each entity kind (deleted ones included) and of killmails."""
    async with container.database.reading() as session:
        counts = await count_by_kind(session)
        killmails = (await session.execute(select(func.count()).select_from(Killmail))).scalar_one()
    return {**{kind.value: n for kind, n in counts.items()}, "killmails": int(killmails)}


# Tables retention prunes (and the queue's), whose growth an operator watches.
SIZED_TABLES = ("http_cache", "queue_messages", "queue_consumers", "process_heartbeats")


async def table_sizes_section(container: Container) -> dict[str, Any]:
    """Rows of each operational table, and its bytes on disk on PostgreSQL."""
    sizes: dict[str, Any] = {}
    async with container.database.transaction() as session:
        for name in SIZED_TABLES:
            table = Base.metadata.tables[name]
            rows = (await session.execute(select(func.count()).select_from(table))).scalar_one()
            row: dict[str, Any] = {"rows": int(rows)}
            if not container.database.is_sqlite:
                size = select(func.pg_total_relation_size(literal(name).cast(Text)))
                row["bytes"] = int((await session.execute(size)).scalar_one())
            sizes[name] = row
    return sizes


SECTIONS: tuple[tuple[str, StatusSection], ...] = (
    ("processes", processes_section),
    ("queues", queue_section),
    ("stored", stored_section),
    ("esi budget", budget_section),
    ("esi rate-limit groups", budget_groups_section),
    ("killmail feed", feed_status),
    ("table sizes", table_sizes_section),
)


async def collect(container: Container) -> dict[str, Any]:
    """Every section's report, by section name; a failing section reports its error."""
    names = [name for name, _ in SECTIONS]
    results = await asyncio.gather(
        *(section(container) for _, section in SECTIONS), return_exceptions=True
    )
    report: dict[str, Any] = {}
    for name, result in zip(names, results, strict=True):
        if isinstance(result, BaseException):
            report[name] = {"error": f"{type(result).__name__}: {result}"}
        else:
            report[name] = result
    return report


def _render_list(console: Console, name: str, rows: list[dict[str, Any]]) -> None:
    table = Table(title=name, title_justify="left")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for column in columns:
        table.add_column(column)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            text = "-" if value is None else str(value)
            if isinstance(value, list):
                text = ", ".join(str(v) for v in value) or "-"
            cells.append(text)
        table.add_row(*cells)
    if not rows:
        console.print(f"[bold]{name}[/bold]\n  (none)")
    else:
        console.print(table)


def _render(report: dict[str, Any]) -> None:
    # A pipe gets whole names instead of rich's default 80 columns.
    console = Console(width=None if sys.stdout.isatty() else 200)
    for name, body in report.items():
        if isinstance(body, list):
            _render_list(console, name, body)
            continue
        rows = [value for value in body.values() if isinstance(value, dict)]
        if rows and len(rows) == len(body):
            columns = list(dict.fromkeys(key for row in rows for key in row))
            table = Table(title=name, title_justify="left")
            table.add_column("name")
            for column in columns:
                table.add_column(column, justify="right")
            for key, row in body.items():
                cells = ["-" if row.get(c) is None else str(row.get(c)) for c in columns]
                table.add_row(key, *cells)
            console.print(table)
        else:
            console.print(f"[bold]{name}[/bold]")
            for key, value in body.items():
                console.print(f"  {key}: {value}")


def status(*, json: bool = False) -> None:
    """Show queues (ready, unacked, consumers, delayed, dead) and the other status sections.

    Parameters
    ----------
    json
        Print one JSON document instead of tables.
    """
    settings = start()

    async def gather() -> dict[str, Any]:
        async with container_module.build(settings) as container:
            return await collect(container)

    report = asyncio.run(gather())
    if json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    else:
        _render(report)
