"""The 108 real killmails and their daily prices, shipped in the package, for tests."""

from __future__ import annotations

import gzip
import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from killreport.sim.corpus import stand_in_hash


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    """Corpus lines: {killmail_id, killmail_hash, category, source, esi, [zkb]}."""
    raw = resources.files("killreport.sim").joinpath("data", "real_killmails.jsonl.gz").read_bytes()
    return tuple(json.loads(line) for line in gzip.decompress(raw).splitlines() if line.strip())


def everef_line(row: dict[str, Any]) -> dict[str, Any]:
    """The corpus line as EVE Ref stores it: the ESI body plus `killmail_hash`."""
    hash_ = row["killmail_hash"] or stand_in_hash(int(row["killmail_id"]))
    return {**row["esi"], "killmail_hash": hash_}


@cache
def daily_prices() -> tuple[tuple[int, date, float, None], ...]:
    """(type_id, day, average price, adjusted) rows of the corpus days."""
    raw = resources.files("killreport.sim").joinpath("data", "corpus_prices.json.gz").read_bytes()
    prices = json.loads(gzip.decompress(raw))["daily_prices"]
    return tuple(
        (int(type_id), date.fromisoformat(day), float(price), None)
        for day, by_type in prices.items()
        for type_id, price in by_type.items()
    )
