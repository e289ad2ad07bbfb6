"""`killreport killmail show ID [--esi|--json]`: one stored killmail."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import orjson
from cyclopts import App
from rich.console import Console
from rich.table import Table

from killreport import container as container_module
from killreport.cli.context import start
from killreport.killmails import repository
from killreport.universe.static import load_static

app = App(name="killmail", help="Stored killmails: show one as text, as its ESI body, or as JSON.")

DERIVED_FIELDS = (
    "constellation_id",
    "region_id",
    "security",
    "location_id",
    "victim_ship_group_id",
    "attacker_count",
    "final_blow_character_id",
    "fitted_value",
    "dropped_value",
    "destroyed_value",
    "total_value",
    "value_source",
    "points",
    "npc",
    "solo",
    "awox",
    "labels",
    "source",
    "sequence",
)


async def _load(killmail_id: int) -> tuple[Any, ...] | None:
    settings = start()
    async with (
        container_module.build(settings) as container,
        container.database.reading() as session,
    ):
        return await repository.load_killmail(session, killmail_id)


def _name(type_id: int | None) -> str:
    if type_id is None:
        return "-"
    found = load_static().types.get(type_id)
    return f"{found.name} ({type_id})" if found and found.name else str(type_id)


def _readable(killmail: Any, attackers: list[Any], items: list[Any]) -> None:
    console = Console()
    universe = load_static()
    system = universe.systems.get(killmail.solar_system_id)
    where = system.name if system else str(killmail.solar_system_id)
    total = f"{killmail.total_value:,.2f} ISK" if killmail.total_value is not None else "unvalued"
    console.print(
        f"[bold]Killmail {killmail.killmail_id}[/bold]  {killmail.killmail_time:%Y-%m-%d %H:%M} "
        f"UTC  {where} ({killmail.security})  {total} [{killmail.value_source}]"
    )
    console.print(
        f"victim: character {killmail.victim_character_id}  corporation "
        f"{killmail.victim_corporation_id}  alliance {killmail.victim_alliance_id}  ship "
        f"{_name(killmail.victim_ship_type_id)}  damage {killmail.victim_damage_taken:,}"
    )
    console.print("labels: " + ", ".join(killmail.labels))
    table = Table(title=f"{len(attackers)} attackers")
    for column in ("character", "corporation", "ship", "weapon", "damage", "final"):
        table.add_column(column)
    for a in attackers:
        table.add_row(
            str(a.character_id or "-"),
            str(a.corporation_id or "-"),
            _name(a.ship_type_id),
            _name(a.weapon_type_id),
            f"{a.damage_done:,}",
            "yes" if a.final_blow else "",
        )
    console.print(table)
    items_table = Table(title=f"{len(items)} items")
    for column in ("item", "flag", "destroyed", "dropped", "unit ISK"):
        items_table.add_column(column)
    for i in items:
        indent = "  └ " if i.parent_position is not None else ""
        items_table.add_row(
            indent + _name(i.item_type_id),
            str(i.flag),
            str(i.quantity_destroyed or ""),
            str(i.quantity_dropped or ""),
            f"{i.unit_value:,.2f}" if i.unit_value is not None else "-",
        )
    console.print(items_table)


@app.command
def show(killmail_id: int, /, *, esi: bool = False, json: bool = False) -> None:
    """Print a stored killmail.

    Parameters
    ----------
    killmail_id
        The killmail id.
    esi
        Print exactly the ESI body rebuilt from the database.
    json
        Print the ESI body plus our derived fields and values as JSON.
    """
    loaded = asyncio.run(_load(killmail_id))
    if loaded is None:
        print(f"killreport: killmail {killmail_id} is not stored", file=sys.stderr)
        raise SystemExit(1)
    killmail, attackers, items = loaded
    body = repository.esi_body(killmail, attackers, items)
    if esi:
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
        return
    if json:
        derived = {name: getattr(killmail, name) for name in DERIVED_FIELDS}
        derived["killmail_hash"] = killmail.killmail_hash
        derived["item_unit_values"] = [i.unit_value for i in items]
        document = {"esi": body, "derived": derived}
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    _readable(killmail, attackers, items)
