"""The recorded real data the simulator starts from: 108 ESI killmails and their prices."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

KILLMAILS_FILE = "real_killmails.jsonl.gz"
PRICES_FILE = "corpus_prices.json.gz"


@dataclass(frozen=True, slots=True)
class RealKillmail:
    """One recorded killmail: the ESI body exactly as ESI sent it, and where it came from."""

    killmail_id: int
    killmail_hash: str
    category: str
    esi: dict[str, Any]
    zkb: dict[str, Any] | None


def stand_in_hash(killmail_id: int) -> str:
    """A fixed 40-hex hash for a CCP-regenerated killmail, which has no ESI hash at all.

    zKillboard shows "CCP VERIFIED" there; a hash is 40 hex digits everywhere here, so the
    two such recorded killmails get one derived from their id.
    """
    seed = f"ccp-verified:{killmail_id}".encode()
    return hashlib.sha1(seed, usedforsecurity=False).hexdigest()


def _read(name: str) -> bytes:
    return gzip.decompress(resources.files("killreport.sim").joinpath("data", name).read_bytes())


@functools.cache
def real_killmails() -> tuple[RealKillmail, ...]:
    """The recorded killmails in file order (read once)."""
    found = []
    for line in _read(KILLMAILS_FILE).splitlines():
        row = json.loads(line)
        found.append(
            RealKillmail(
                killmail_id=int(row["killmail_id"]),
                killmail_hash=row["killmail_hash"] or stand_in_hash(int(row["killmail_id"])),
                category=str(row["category"]),
                esi=row["esi"],
                zkb=row.get("zkb"),
            )
        )
    return tuple(found)


@functools.cache
def prices() -> dict[int, float]:
    """One Jita price per type: the latest daily price, else the corpus' custom price."""
    document = json.loads(_read(PRICES_FILE))
    merged: dict[int, float] = {int(k): float(v) for k, v in document["custom_prices"].items()}
    for day in sorted(document["daily_prices"]):
        for type_id, price in document["daily_prices"][day].items():
            merged[int(type_id)] = float(price)
    return merged


@functools.cache
def daily_prices() -> dict[str, dict[int, float]]:
    """Prices by day (`YYYY-MM-DD`) as recorded for the corpus."""
    document = json.loads(_read(PRICES_FILE))
    return {
        day: {int(k): float(v) for k, v in rows.items()}
        for day, rows in document["daily_prices"].items()
    }
