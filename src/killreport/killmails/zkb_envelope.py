"""Stored killmails in zKillboard's shapes: the `zkb` block, API elements, R2Z2 entries.

The ESI body is rebuilt exactly from the stored rows (`rebuild.esi_body`); the `zkb`
block carries this board's own values and flags, frozen at ingest. Bodies of many
killmails are loaded with three statements per chunk of ids, never one per killmail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Attacker, Item, Killmail
from killreport.killmails.models import JsonObject
from killreport.killmails.rebuild import esi_body

# Ids per IN (...) list: well under SQLite's bound-parameter limit.
LOAD_CHUNK = 500
# zKillboard's href names ESI's unversioned route (since 2025-10-28).
ESI_KILLMAIL_URL = "https://esi.evetech.net/killmails/{killmail_id}/{killmail_hash}/"


@dataclass(frozen=True, slots=True)
class StoredKillmail:
    """One stored killmail: its row, its ESI body as ESI sent it, and its items' value."""

    row: Killmail
    esi: JsonObject
    droppable_value: float


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), LOAD_CHUNK):
        yield ids[start : start + LOAD_CHUNK]


def _items_value(items: Sequence[Item]) -> float:
    total = 0.0
    for item in items:
        quantity = (item.quantity_destroyed or 0) + (item.quantity_dropped or 0)
        total += (item.unit_value or 0.0) * quantity
    return round(total, 2)


async def load_stored(session: AsyncSession, killmail_ids: Sequence[int]) -> list[StoredKillmail]:
    """The stored killmails among these ids, in the order given (unknown ids are skipped)."""
    rows: dict[int, Killmail] = {}
    attackers: dict[int, list[Attacker]] = {}
    items: dict[int, list[Item]] = {}
    wanted = list(dict.fromkeys(killmail_ids))
    for chunk in _chunks(wanted):
        for found in await session.scalars(select(Killmail).where(Killmail.killmail_id.in_(chunk))):
            rows[found.killmail_id] = found
        for attacker in await session.scalars(
            select(Attacker)
            .where(Attacker.killmail_id.in_(chunk))
            .order_by(Attacker.killmail_id, Attacker.position)
        ):
            attackers.setdefault(attacker.killmail_id, []).append(attacker)
        for item in await session.scalars(
            select(Item)
            .where(Item.killmail_id.in_(chunk))
            .order_by(Item.killmail_id, Item.position)
        ):
            items.setdefault(item.killmail_id, []).append(item)
    stored = []
    for killmail_id in wanted:
        row = rows.get(killmail_id)
        if row is None:
            continue
        lines = items.get(killmail_id, [])
        body = esi_body(row, attackers.get(killmail_id, []), lines)
        stored.append(StoredKillmail(row, body, _items_value(lines)))
    return stored


def zkb_block(stored: StoredKillmail) -> JsonObject:
    """The `zkb` block of the zKillboard API (no `href`, no `attackerCount`)."""
    row = stored.row
    block: JsonObject = {}
    if row.location_id is not None:
        block["locationID"] = row.location_id
    block.update(
        {
            "hash": row.killmail_hash,
            "fittedValue": float(row.fitted_value or 0.0),
            "droppedValue": float(row.dropped_value or 0.0),
            "destroyedValue": float(row.destroyed_value or 0.0),
            "totalValue": float(row.total_value or 0.0),
            "totalDroppableValue": stored.droppable_value,
            "points": int(row.points or 0),
            "npc": bool(row.npc),
            "solo": bool(row.solo),
            "awox": bool(row.awox),
            "labels": list(row.labels or ()),
        }
    )
    return block


def api_element(stored: StoredKillmail) -> JsonObject:
    """One zKillboard API element: the full ESI fields plus `zkb` (zKillboard since 2026-06-27)."""
    return {**stored.esi, "zkb": zkb_block(stored)}


def r2z2_entry(stored: StoredKillmail) -> dict[str, Any]:
    """The R2Z2 `{n}.json` document of a stored killmail, numbered by its `sequence`."""
    row = stored.row
    zkb = zkb_block(stored)
    zkb["attackerCount"] = row.attacker_count
    zkb["href"] = ESI_KILLMAIL_URL.format(
        killmail_id=row.killmail_id, killmail_hash=row.killmail_hash
    )
    return {
        "killmail_id": row.killmail_id,
        "hash": row.killmail_hash,
        "esi": stored.esi,
        "zkb": zkb,
        "uploaded_at": int(row.ingested_at.timestamp()),
        "sequence_id": row.sequence,
    }
