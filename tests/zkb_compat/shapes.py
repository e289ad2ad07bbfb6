"""The shapes of zKillboard's real R2Z2 samples (`data/`), and a check of our bodies against them.

A shape records, per key, the JSON type of its value and whether every sample has it.
A body matches when each of its keys is a sample key (or a documented later addition),
each value has the sample's JSON type, and each key every sample has is present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data")
SAMPLE_FILES = ("900001.json", "900002.json")

# A key zKillboard documents that the (2025) samples predate: since 2026-06-08 (esi-facts §8c).
LATER_KEYS = frozenset(("totalDroppableValue",))
# Keys that may be absent: ESI's optional killmail fields (absent, never null) and
# zkb.locationID (only when the victim has a position).
ESI_OPTIONAL = frozenset(
    (
        "alliance_id",
        "character_id",
        "corporation_id",
        "faction_id",
        "ship_type_id",
        "weapon_type_id",
        "moon_id",
        "war_id",
        "position",
        "items",
        "quantity_destroyed",
        "quantity_dropped",
        "locationID",
    )
)


@dataclass
class Shape:
    """JSON type names seen, and for objects each key's shape and how often it appeared."""

    types: set[str] = field(default_factory=set)
    keys: dict[str, Shape] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    objects: int = 0
    element: Shape | None = None


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def learn(shape: Shape, value: Any) -> Shape:
    """Add one sample value to a shape."""
    shape.types.add(_type(value))
    if isinstance(value, dict):
        shape.objects += 1
        for key, inner in value.items():
            learn(shape.keys.setdefault(key, Shape()), inner)
            shape.seen[key] = shape.seen.get(key, 0) + 1
    elif isinstance(value, list):
        shape.element = shape.element or Shape()
        for inner in value:
            learn(shape.element, inner)
    return shape


@cache
def samples() -> tuple[dict[str, Any], ...]:
    """The real R2Z2 entries."""
    return tuple(json.loads((DATA / name).read_text()) for name in SAMPLE_FILES)


@cache
def entry_shape() -> Shape:
    """Shape of an R2Z2 `{n}.json` entry."""
    shape = Shape()
    for sample in samples():
        learn(shape, sample)
    return shape


@cache
def api_element_shape() -> Shape:
    """Shape of a zKillboard API element: the ESI fields plus zkb (without href, attackerCount)."""
    shape = Shape()
    for sample in samples():
        zkb = {k: v for k, v in sample["zkb"].items() if k not in ("href", "attackerCount")}
        learn(shape, {**sample["esi"], "zkb": zkb})
    return shape


def problems(value: Any, shape: Shape, where: str = "$") -> list[str]:
    """Every way `value` differs from the samples' shape (empty when it matches)."""
    found: list[str] = []
    if _type(value) not in shape.types:
        return [f"{where}: {_type(value)}, samples have {sorted(shape.types)}"]
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in shape.keys:
                found.extend(problems(inner, shape.keys[key], f"{where}.{key}"))
            elif key not in LATER_KEYS and key not in ESI_OPTIONAL:
                found.append(f"{where}.{key}: not a key of the samples")
        for key, count in shape.seen.items():
            required = count == shape.objects and key not in ESI_OPTIONAL | LATER_KEYS
            if required and key not in value:
                found.append(f"{where}.{key}: missing (every sample has it)")
    elif isinstance(value, list) and shape.element is not None:
        for index, inner in enumerate(value):
            # Nested container items have the shape of items.
            found.extend(problems(inner, shape.element, f"{where}[{index}]"))
    return found


def assert_entry(entry: Any) -> None:
    """Fail unless an R2Z2 entry has the samples' shape."""
    found = problems(entry, entry_shape())
    assert not found, found


def assert_api_element(element: Any) -> None:
    """Fail unless a zKillboard API element has the samples' shape."""
    found = problems(element, api_element_shape())
    assert not found, found
