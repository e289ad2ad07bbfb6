"""The slice of the ESI OpenAPI specs the simulator serves: route metadata and schemas.

`data/esi_spec.json.gz` holds, for the 2026-08-18 and 2025-12-16 specs, each served
operation's `x-*` metadata, its 200 response schema (with the component schemas it
references) and the rate-limit group table; the tests validate bodies against it.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

SPEC_FILE = "esi_spec.json.gz"
CURRENT_SPEC = "2026-08-18"
PREVIOUS_SPEC = "2025-12-16"
OLDEST_COMPATIBILITY_DATE = "2020-01-01"

# Live list of compatibility dates (esi-facts §1), newest first.
COMPATIBILITY_DATES: tuple[str, ...] = (
    "2026-08-18",
    "2026-08-04",
    "2026-07-21",
    "2026-07-17",
    "2026-06-09",
    "2026-05-19",
    "2025-12-16",
    "2025-11-06",
    "2025-09-30",
    "2025-09-26",
    "2025-08-26",
    "2025-04-02",
    "2025-04-01",
    "2020-01-01",
)

_WINDOW_UNITS_S = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True, slots=True)
class RateLimitGroup:
    """A floating-window token bucket definition from the spec's `x-rate-limit`."""

    name: str
    max_tokens: int
    window_s: float
    window_text: str


@dataclass(frozen=True, slots=True)
class Operation:
    """One served ESI operation as the current spec describes it."""

    key: str  # "GET /alliances/{alliance_id}"
    compatibility_date: str
    cache_ttl_s: int | None
    rate_limit_group: str | None


def window_seconds(text: str) -> float:
    """Seconds in a spec window such as `15m` or `1h`."""
    return float(int(text[:-1]) * _WINDOW_UNITS_S[text[-1]])


@functools.cache
def load_spec() -> dict[str, Any]:
    """The compact spec document shipped with the package (read once)."""
    raw = resources.files("killreport.sim").joinpath("data", SPEC_FILE).read_bytes()
    spec: dict[str, Any] = json.loads(gzip.decompress(raw))
    return spec


@functools.cache
def rate_limit_groups() -> dict[str, RateLimitGroup]:
    """Every rate-limit group of the 2026-08-18 spec, by name."""
    return {
        name: RateLimitGroup(
            name, int(row["max_tokens"]), window_seconds(row["window"]), row["window"]
        )
        for name, row in load_spec()["rate_limit_groups"].items()
    }


@functools.cache
def operations() -> dict[str, Operation]:
    """Metadata of every served operation, keyed by `METHOD /path`."""
    found: dict[str, Operation] = {}
    for key, entry in load_spec()[CURRENT_SPEC]["operations"].items():
        meta = entry["meta"]
        limit = meta.get("x-rate-limit")
        ttl = meta.get("x-cache-age")
        found[key] = Operation(
            key=key,
            compatibility_date=meta["x-compatibility-date"],
            cache_ttl_s=int(ttl) if ttl is not None else None,
            rate_limit_group=limit["group"] if limit else None,
        )
    return found


def previous_change_date(key: str) -> str:
    """The compatibility date of the shape the 2025-12-16 spec had for an operation."""
    meta = load_spec()[PREVIOUS_SPEC]["operations"][key]["meta"]
    return str(meta["x-compatibility-date"])


def response_schema(key: str, spec_version: str = CURRENT_SPEC) -> dict[str, Any]:
    """A standalone JSON schema (components inlined for $ref) of an operation's 200 body."""
    document = load_spec()[spec_version]
    schema = dict(document["operations"][key]["response"])
    schema["components"] = document["components"]
    return schema
