"""The `zkb` block zKillboard attaches to a killmail (values, points, flags, labels).

Follows zKillboard's rules (esi-facts §8d) closely enough for a client to parse and
store; the killboard computes its own values and flags from the ESI body.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from killreport.sim.corpus import prices
from killreport.sim.killmails import KillmailRecord
from killreport.sim.universe import NPC_CHARACTER_IDS, NPC_CORPORATION_IDS
from killreport.universe.static import StaticUniverse

# Fitted slots: low, mid, high, rigs, subsystems (inventory flag ids).
_FITTED_FLAGS = frozenset((*range(11, 35), *range(92, 100), *range(125, 133)))
_CAPITAL_GROUPS = frozenset((30, 485, 513, 547, 659, 883, 902, 1538, 4594))
_NOT_SOLO_GROUPS = frozenset((29, 31, 237))
_BLUEPRINT_COPY_PRICE = 0.01
_ISK_LABELS = (
    (1e12, "isk:1t+"),
    (1e11, "isk:100b+"),
    (1e10, "isk:10b+"),
    (5e9, "isk:5b+"),
    (1e9, "isk:1b+"),
)
_COUNT_LABELS = (
    (1000, "#:1000+"),
    (100, "#:100+"),
    (50, "#:50+"),
    (25, "#:25+"),
    (10, "#:10+"),
    (5, "#:5+"),
    (2, "#:2+"),
)


def _is_player(attacker: dict[str, Any]) -> bool:
    character_id = attacker.get("character_id")
    return character_id is not None and character_id not in NPC_CHARACTER_IDS


def _item_value(item: dict[str, Any], price_of: dict[int, float]) -> tuple[float, float]:
    price = (
        _BLUEPRINT_COPY_PRICE
        if item.get("singleton") == 2
        else price_of.get(item["item_type_id"], 0.0)
    )
    destroyed = price * item.get("quantity_destroyed", 0)
    dropped = price * item.get("quantity_dropped", 0)
    for inner in item.get("items", ()):
        inner_destroyed, inner_dropped = _item_value(inner, price_of)
        destroyed += inner_destroyed
        dropped += inner_dropped
    return destroyed, dropped


def _security_label(security: float, region_id: int | None) -> str:
    if region_id is not None and 11_000_000 <= region_id < 12_000_000:
        return "loc:w-space"
    if region_id is not None and 12_000_000 <= region_id < 13_000_000:
        return "loc:abyssal"
    if security >= 0.45:
        return "loc:highsec"
    if security > 0.0:
        return "loc:lowsec"
    return "loc:nullsec"


def _timezone_label(hour: int) -> str:
    if 8 <= hour < 14:
        return "tz:au"
    if 14 <= hour < 17:
        return "tz:ru"
    if 17 <= hour < 22:
        return "tz:eu"
    if 4 <= hour < 8:
        return "tz:usw"
    return "tz:use"


def zkb_block(
    record: KillmailRecord, esi: dict[str, Any], static: StaticUniverse
) -> dict[str, Any]:
    """zKillboard's block for a killmail (API form: no `href`, no `attackerCount`)."""
    if record.zkb is not None:
        return {k: v for k, v in record.zkb.items() if k not in ("href", "attackerCount")}
    price_of = prices()
    victim = esi["victim"]
    attackers = esi["attackers"]
    ship_price = price_of.get(victim["ship_type_id"], 0.0)
    destroyed, dropped, fitted = ship_price, 0.0, ship_price
    for item in victim.get("items", ()):
        item_destroyed, item_dropped = _item_value(item, price_of)
        destroyed += item_destroyed
        dropped += item_dropped
        if item["flag"] in _FITTED_FLAGS:
            fitted += item_destroyed + item_dropped
    total = destroyed + dropped
    players = [a for a in attackers if _is_player(a)]
    victim_group = static.group_of_type(victim["ship_type_id"])
    category = static.category_of_type(victim["ship_type_id"])
    npc = not players or (
        "character_id" not in victim and victim.get("corporation_id", 0) in NPC_CORPORATION_IDS
    )
    structure_attacker = any(
        static.category_of_type(a.get("ship_type_id", 0)) == 65 for a in attackers
    )
    solo = (
        not npc
        and len(players) == 1
        and category == 6
        and victim_group not in _NOT_SOLO_GROUPS
        and not structure_attacker
    )
    final_blow: dict[str, Any] = next((a for a in attackers if a.get("final_blow")), {})
    victim_corp = victim.get("corporation_id", 0)
    awox = (
        not npc
        and victim_corp not in NPC_CORPORATION_IDS
        and final_blow.get("corporation_id") == victim_corp
        and _is_player(final_blow)
    )
    system = static.systems.get(esi["solar_system_id"])
    labels = [_timezone_label(datetime.fromtimestamp(record.time_s, UTC).hour)]
    if category is not None:
        labels.append(f"cat:{category}")
    if solo:
        labels.append("solo")  # zKillboard skips the count labels once solo is set
    else:
        labels.extend(
            next(([label] for count, label in _COUNT_LABELS if len(players) >= count), ["#:1"])
        )
    labels.append("npc" if npc else "pvp")
    if awox:
        labels.append("awox")
    if system is not None:
        labels.append(
            _security_label(system.security_status, static.region_of_system(system.system_id))
        )
    labels.extend(next(([label] for floor, label in _ISK_LABELS if total >= floor), []))
    if victim_group in _CAPITAL_GROUPS:
        labels.append("capital")
    points = 1 if npc else max(1, round(math.log10(max(total, 10.0)) * 3 - len(attackers) ** 0.5))
    block: dict[str, Any] = {}
    if "position" in victim:
        block["locationID"] = (
            40_000_000 + (esi["solar_system_id"] - 30_000_000) * 20 + record.killmail_id % 20
        )
    block.update(
        {
            "hash": record.killmail_hash,
            "fittedValue": round(fitted, 2),
            "droppedValue": round(dropped, 2),
            "destroyedValue": round(destroyed, 2),
            "totalValue": round(total, 2),
            "totalDroppableValue": round(total - ship_price, 2),
            "points": points,
            "npc": npc,
            "solo": solo,
            "awox": awox,
            "labels": labels,
        }
    )
    return block
