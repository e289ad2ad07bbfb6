"""Turn raw killmail input (ESI bodies, R2Z2 entries, zKillboard elements) into domain objects.

Every ESI field is kept. Bad input raises `KillmailRejected` with a reason that names the
field, so a batch can report each bad killmail and store the rest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from killreport.killmails.models import (
    AttackerLine,
    ItemLine,
    ParsedKillmail,
    Position,
    Victim,
    ZkbBlock,
)

MAX_ITEM_DEPTH = 4
# ESI's killmail hash: a SHA-1, 40 hexadecimal digits (stored lower case, as ESI writes it).
HASH_PATTERN = re.compile(r"[0-9a-fA-F]{40}")
# How much of a bad value a rejection reason quotes.
QUOTED_CHARS = 48


class KillmailRejected(ValueError):
    """The input is not a valid killmail; `reason` says why, `killmail_id` when readable."""

    def __init__(self, reason: str, killmail_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.killmail_id = killmail_id


def _int(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if value is None:
        raise KillmailRejected(f"missing {where}{key}")
    if type(value) is not int:
        raise KillmailRejected(
            f"wrong type for {where}{key}: expected integer, got {type(value).__name__}"
        )
    return value


def _opt_int(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None or type(value) is int:
        return value
    raise KillmailRejected(
        f"wrong type for {where}{key}: expected integer, got {type(value).__name__}"
    )


def _float(obj: dict[str, Any], key: str, where: str) -> float:
    value = obj.get(key)
    if value is None:
        raise KillmailRejected(f"missing {where}{key}")
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)
    raise KillmailRejected(
        f"wrong type for {where}{key}: expected number, got {type(value).__name__}"
    )


def _opt_float(obj: dict[str, Any], key: str) -> float | None:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _bool(obj: dict[str, Any], key: str, where: str) -> bool:
    value = obj.get(key)
    if type(value) is not bool:
        got = "nothing" if value is None else type(value).__name__
        raise KillmailRejected(f"wrong type for {where}{key}: expected boolean, got {got}")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        raise KillmailRejected(f"missing {where}")
    if not isinstance(value, dict):
        raise KillmailRejected(
            f"wrong type for {where}: expected object, got {type(value).__name__}"
        )
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise KillmailRejected(
            f"wrong type for {where}: expected array, got {type(value).__name__}"
        )
    return value


def parse_time(value: Any) -> datetime:
    """An ESI date-time ("2008-01-06T00:44:00Z") as an aware UTC datetime."""
    if not isinstance(value, str):
        got = "nothing" if value is None else type(value).__name__
        raise KillmailRejected(f"wrong type for killmail_time: expected string, got {got}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise KillmailRejected(f"bad killmail_time {value!r}") from exc
    if parsed.tzinfo is None:
        raise KillmailRejected(f"killmail_time without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def check_hash(value: Any) -> str:
    """A killmail hash as stored (40 hex digits, lower case); KillmailRejected otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise KillmailRejected("missing killmail_hash")
    if HASH_PATTERN.fullmatch(value) is None:
        raise KillmailRejected(
            f"killmail_hash must be 40 hexadecimal characters, got {value[:QUOTED_CHARS]!r}"
        )
    return value.lower()


def _fast_items(raw: list[Any], depth: int) -> tuple[ItemLine, ...] | None:
    """Well-formed item lines, or None so that `_items` finds and names the problem.

    The hot path of every import: no per-field calls and no `where` strings.
    """
    if depth > MAX_ITEM_DEPTH:
        return None
    lines: list[ItemLine] = []
    append = lines.append
    for item in raw:
        if type(item) is not dict:
            return None
        get = item.get
        type_id = get("item_type_id")
        flag = get("flag")
        singleton = get("singleton")
        destroyed = get("quantity_destroyed")
        dropped = get("quantity_dropped")
        nested = get("items")
        if not (
            type(type_id) is int
            and type(flag) is int
            and type(singleton) is int
            and (destroyed is None or type(destroyed) is int)
            and (dropped is None or type(dropped) is int)
        ):
            return None
        if nested:
            if type(nested) is not list:
                return None
            children = _fast_items(nested, depth + 1)
            if children is None:
                return None
            append(ItemLine(type_id, flag, singleton, destroyed, dropped, children))
        else:
            append(ItemLine(type_id, flag, singleton, destroyed, dropped))
    return tuple(lines)


def _items(raw: list[Any], where: str, depth: int) -> tuple[ItemLine, ...]:
    fast = _fast_items(raw, depth)
    if fast is not None:
        return fast
    return _checked_items(raw, where, depth)


def _checked_items(raw: list[Any], where: str, depth: int) -> tuple[ItemLine, ...]:
    if depth > MAX_ITEM_DEPTH:
        raise KillmailRejected(f"items nested deeper than {MAX_ITEM_DEPTH} levels at {where}")
    lines = []
    for index, entry in enumerate(raw):
        here = f"{where}[{index}]."
        item = _object(entry, f"{where}[{index}]")
        nested = _list(item.get("items"), f"{here}items")
        lines.append(
            ItemLine(
                item_type_id=_int(item, "item_type_id", here),
                flag=_int(item, "flag", here),
                singleton=_int(item, "singleton", here),
                quantity_destroyed=_opt_int(item, "quantity_destroyed", here),
                quantity_dropped=_opt_int(item, "quantity_dropped", here),
                items=_checked_items(nested, f"{here}items", depth + 1) if nested else (),
            )
        )
    return tuple(lines)


def _victim(raw: Any) -> Victim:
    victim = _object(raw, "victim")
    where = "victim."
    position = None
    if victim.get("position") is not None:
        pos = _object(victim["position"], "victim.position")
        position = Position(
            x=_float(pos, "x", "victim.position."),
            y=_float(pos, "y", "victim.position."),
            z=_float(pos, "z", "victim.position."),
        )
    return Victim(
        ship_type_id=_int(victim, "ship_type_id", where),
        damage_taken=_int(victim, "damage_taken", where),
        character_id=_opt_int(victim, "character_id", where),
        corporation_id=_opt_int(victim, "corporation_id", where),
        alliance_id=_opt_int(victim, "alliance_id", where),
        faction_id=_opt_int(victim, "faction_id", where),
        position=position,
        items=_items(_list(victim.get("items"), "victim.items"), "victim.items", 1),
    )


def _fast_attackers(attackers: list[Any]) -> tuple[AttackerLine, ...] | None:
    """Well-formed attackers, or None so that `_attackers` finds and names the problem."""
    lines: list[AttackerLine] = []
    append = lines.append
    for attacker in attackers:
        if type(attacker) is not dict:
            return None
        get = attacker.get
        damage = get("damage_done")
        final_blow = get("final_blow")
        security = get("security_status")
        character = get("character_id")
        corporation = get("corporation_id")
        alliance = get("alliance_id")
        faction = get("faction_id")
        ship = get("ship_type_id")
        weapon = get("weapon_type_id")
        if not (
            type(damage) is int
            and type(final_blow) is bool
            and (type(security) is float or type(security) is int)
            and (character is None or type(character) is int)
            and (corporation is None or type(corporation) is int)
            and (alliance is None or type(alliance) is int)
            and (faction is None or type(faction) is int)
            and (ship is None or type(ship) is int)
            and (weapon is None or type(weapon) is int)
        ):
            return None
        append(
            AttackerLine(
                damage,
                final_blow,
                float(security),
                character,
                corporation,
                alliance,
                faction,
                ship,
                weapon,
            )
        )
    return tuple(lines)


def _attackers(raw: Any) -> tuple[AttackerLine, ...]:
    attackers = _list(raw, "attackers")
    if not attackers:
        raise KillmailRejected("missing attackers")
    fast = _fast_attackers(attackers)
    if fast is not None:
        return fast
    lines = []
    for index, entry in enumerate(attackers):
        where = f"attackers[{index}]."
        attacker = _object(entry, f"attackers[{index}]")
        lines.append(
            AttackerLine(
                damage_done=_int(attacker, "damage_done", where),
                final_blow=_bool(attacker, "final_blow", where),
                security_status=_float(attacker, "security_status", where),
                character_id=_opt_int(attacker, "character_id", where),
                corporation_id=_opt_int(attacker, "corporation_id", where),
                alliance_id=_opt_int(attacker, "alliance_id", where),
                faction_id=_opt_int(attacker, "faction_id", where),
                ship_type_id=_opt_int(attacker, "ship_type_id", where),
                weapon_type_id=_opt_int(attacker, "weapon_type_id", where),
            )
        )
    return tuple(lines)


def parse_zkb(raw: Any) -> ZkbBlock | None:
    """zKillboard's zkb block (R2Z2, API, RedisQ); None when absent or not an object."""
    if not isinstance(raw, dict):
        return None
    labels = raw.get("labels")
    points = raw.get("points")
    return ZkbBlock(
        location_id=raw["locationID"] if type(raw.get("locationID")) is int else None,
        hash=raw["hash"] if isinstance(raw.get("hash"), str) else None,
        fitted_value=_opt_float(raw, "fittedValue"),
        dropped_value=_opt_float(raw, "droppedValue"),
        destroyed_value=_opt_float(raw, "destroyedValue"),
        total_value=_opt_float(raw, "totalValue"),
        points=points if type(points) is int else None,
        npc=raw.get("npc") if isinstance(raw.get("npc"), bool) else None,
        solo=raw.get("solo") if isinstance(raw.get("solo"), bool) else None,
        awox=raw.get("awox") if isinstance(raw.get("awox"), bool) else None,
        labels=tuple(x for x in labels if isinstance(x, str)) if isinstance(labels, list) else None,
    )


def parse_esi(
    body: Any, killmail_hash: Any, *, zkb: Any = None, source: str = "esi"
) -> ParsedKillmail:
    """Validate an ESI killmail body and its hash; raise KillmailRejected with a reason."""
    esi = _object(body, "killmail body")
    killmail_id = esi.get("killmail_id")
    readable_id = killmail_id if type(killmail_id) is int else None
    try:
        killmail_hash = check_hash(killmail_hash)
        killmail_id = _int(esi, "killmail_id", "")
        if killmail_id <= 0:
            raise KillmailRejected(f"killmail_id must be positive, got {killmail_id}")
        return ParsedKillmail(
            killmail_id=killmail_id,
            killmail_hash=killmail_hash,
            killmail_time=parse_time(esi.get("killmail_time")),
            solar_system_id=_int(esi, "solar_system_id", ""),
            moon_id=_opt_int(esi, "moon_id", ""),
            war_id=_opt_int(esi, "war_id", ""),
            victim=_victim(esi.get("victim")),
            attackers=_attackers(esi.get("attackers")),
            zkb=parse_zkb(zkb),
            source=source,
        )
    except KillmailRejected as exc:
        exc.killmail_id = readable_id
        raise


def parse_envelope(document: Any, *, source: str) -> ParsedKillmail:
    """Any known shape: ESI body with `killmail_hash`, R2Z2 entry, or zKillboard API element."""
    if not isinstance(document, dict):
        raise KillmailRejected(
            f"wrong type for killmail: expected object, got {type(document).__name__}"
        )
    zkb = document.get("zkb")
    if isinstance(document.get("esi"), dict):
        # R2Z2 entry (and the zKillboard websocket): the ESI body sits under "esi".
        killmail_hash = document.get("hash") or (zkb or {}).get("hash")
        return parse_esi(document["esi"], killmail_hash, zkb=zkb, source=source)
    killmail_hash = document.get("killmail_hash")
    if killmail_hash is None and isinstance(zkb, dict):
        killmail_hash = zkb.get("hash")
    if "victim" not in document and "attackers" not in document and zkb is not None:
        killmail_id = document.get("killmail_id")
        raise KillmailRejected(
            "zKillboard element without the ESI body (fetch it from ESI)",
            killmail_id if type(killmail_id) is int else None,
        )
    return parse_esi(document, killmail_hash, zkb=zkb, source=source)


def parse_json(raw: bytes | str, *, source: str) -> ParsedKillmail:
    """Decode one JSON document and parse it; bad JSON is a rejection too."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise KillmailRejected(f"bad JSON: {exc}") from exc
    return parse_envelope(document, source=source)
