"""The ESI body of a stored killmail, rebuilt exactly from its rows (`killmail show --esi`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Attacker, Item, Killmail
from killreport.killmails.models import JsonObject


def _present(pairs: Iterable[tuple[str, Any]]) -> JsonObject:
    return {key: value for key, value in pairs if value is not None}


def _esi_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


async def load_killmail(
    session: AsyncSession, killmail_id: int
) -> tuple[Killmail, list[Attacker], list[Item]] | None:
    """The stored killmail row with its attackers and items in ESI order, or None."""
    killmail = await session.get(Killmail, killmail_id)
    if killmail is None:
        return None
    attackers = (
        await session.scalars(
            select(Attacker).where(Attacker.killmail_id == killmail_id).order_by(Attacker.position)
        )
    ).all()
    items = (
        await session.scalars(
            select(Item).where(Item.killmail_id == killmail_id).order_by(Item.position)
        )
    ).all()
    return killmail, list(attackers), list(items)


def esi_body(
    killmail: Killmail, attackers: Sequence[Attacker], items: Sequence[Item]
) -> JsonObject:
    """Rebuild exactly the ESI body (same keys, values and order) from stored rows."""
    children: dict[int | None, list[Item]] = {}
    for item in items:
        children.setdefault(item.parent_position, []).append(item)

    def item_json(item: Item) -> JsonObject:
        body = _present(
            (
                ("flag", item.flag),
                ("item_type_id", item.item_type_id),
                (
                    "items",
                    [item_json(c) for c in children[item.position]]
                    if item.position in children
                    else None,
                ),
                ("quantity_destroyed", item.quantity_destroyed),
                ("quantity_dropped", item.quantity_dropped),
                ("singleton", item.singleton),
            )
        )
        return body

    position = None
    if killmail.position_x is not None:
        position = {"x": killmail.position_x, "y": killmail.position_y, "z": killmail.position_z}
    victim = _present(
        (
            ("alliance_id", killmail.victim_alliance_id),
            ("character_id", killmail.victim_character_id),
            ("corporation_id", killmail.victim_corporation_id),
            ("damage_taken", killmail.victim_damage_taken),
            ("faction_id", killmail.victim_faction_id),
            ("items", [item_json(i) for i in children.get(None, [])]),
            ("position", position),
            ("ship_type_id", killmail.victim_ship_type_id),
        )
    )
    return _present(
        (
            (
                "attackers",
                [
                    _present(
                        (
                            ("alliance_id", a.alliance_id),
                            ("character_id", a.character_id),
                            ("corporation_id", a.corporation_id),
                            ("damage_done", a.damage_done),
                            ("faction_id", a.faction_id),
                            ("final_blow", a.final_blow),
                            ("security_status", a.security_status),
                            ("ship_type_id", a.ship_type_id),
                            ("weapon_type_id", a.weapon_type_id),
                        )
                    )
                    for a in attackers
                ],
            ),
            ("killmail_id", killmail.killmail_id),
            ("killmail_time", _esi_time(killmail.killmail_time)),
            ("moon_id", killmail.moon_id),
            ("solar_system_id", killmail.solar_system_id),
            ("victim", victim),
            ("war_id", killmail.war_id),
        )
    )
