"""Build the compact static snapshot shipped in the package, from ../shared/data/static.

Writes src/killreport/universe/data/static.json.gz: types -> groups -> categories and
systems -> constellations -> regions, factions and item flags, as column lists. Run again
only when the source data changes; the output is committed so a clone needs no ../shared.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "static"
TARGET = ROOT / "src" / "killreport" / "universe" / "data" / "static.json.gz"


def _load(name: str) -> Any:
    with (SOURCE / name).open() as f:
        return json.load(f)


def _jsonl(name: str) -> list[dict[str, Any]]:
    with (SOURCE / name).open() as f:
        return [json.loads(line) for line in f if line.strip()]


def build() -> dict[str, Any]:
    """Merge the sources, newest first: zKillboard 2026 names, SDE 2021 attributes, Shrike."""
    sde_types = _load("sde2021_types.json")
    sde_groups = _load("sde2021_groups.json")
    sde_categories = _load("sde2021_categories.json")
    shrike = _load("shrike_killmail_fixture_sde.json")

    types: dict[int, dict[str, Any]] = {}
    for row in sde_types.values():
        types[row["type_id"]] = {
            "group_id": row["group_id"],
            "name": row["name"],
            "published": row["published"],
            "mass": row["mass"],
            "volume": row["volume"],
            "capacity": row["capacity"],
            "market_group_id": row["market_group_id"],
        }
    for row in _load("zkb_items.json"):
        entry = types.setdefault(row["typeID"], {"published": True})
        entry["group_id"] = row["groupID"]
        entry["name"] = row["name"]
    for type_id, row in shrike["types"].items():
        entry = types.setdefault(int(type_id), {"published": True})
        entry.setdefault("name", row["name"])
        entry.setdefault("group_id", row["group_id"])
        if row.get("market_group_id"):
            entry.setdefault("market_group_id", row["market_group_id"])

    groups: dict[int, dict[str, Any]] = {
        row["group_id"]: {
            "category_id": row["category_id"],
            "name": row["name"],
            "published": row["published"],
        }
        for row in sde_groups.values()
    }
    for group_id, row in shrike["groups"].items():
        groups.setdefault(
            int(group_id),
            {"category_id": row["category_id"], "name": row["name"], "published": True},
        )

    systems = [
        [
            row["id"],
            row["constellationID"],
            row["name"],
            row["securityStatus"],
            row.get("securityClass"),
            row["position"]["x"],
            row["position"]["y"],
            row["position"]["z"],
        ]
        for row in _jsonl("zkb_mapSystems.jsonl")
    ]
    return {
        "columns": {
            "types": [
                "type_id",
                "group_id",
                "name",
                "published",
                "mass",
                "volume",
                "capacity",
                "market_group_id",
            ],
            "groups": ["group_id", "category_id", "name", "published"],
            "categories": ["category_id", "name", "published"],
            "systems": [
                "system_id",
                "constellation_id",
                "name",
                "security_status",
                "security_class",
                "x",
                "y",
                "z",
            ],
            "constellations": ["constellation_id", "region_id", "name"],
            "regions": ["region_id", "name"],
            "factions": [
                "faction_id",
                "name",
                "corporation_id",
                "militia_corporation_id",
                "solar_system_id",
            ],
            "flags": ["flag_id", "name", "text"],
        },
        "types": [
            [
                type_id,
                row.get("group_id"),
                row.get("name"),
                bool(row.get("published")),
                row.get("mass"),
                row.get("volume"),
                row.get("capacity"),
                row.get("market_group_id"),
            ]
            for type_id, row in sorted(types.items())
        ],
        "groups": [
            [group_id, row["category_id"], row["name"], bool(row["published"])]
            for group_id, row in sorted(groups.items())
        ],
        "categories": [
            [row["category_id"], row["name"], bool(row["published"])]
            for row in sorted(sde_categories.values(), key=lambda r: r["category_id"])
        ],
        "systems": systems,
        "constellations": [
            [row["id"], row["regionID"], row["constellationName"]]
            for row in _jsonl("zkb_mapConstellations.jsonl")
        ],
        "regions": [[row["id"], row["regionName"]] for row in _jsonl("zkb_mapRegions.jsonl")],
        "factions": [
            [
                row["faction_id"],
                row["name"],
                row.get("corporation_id"),
                row.get("militia_corporation_id"),
                row.get("solar_system_id"),
            ]
            for row in _load("sde2021_factions.json").values()
        ],
        "flags": [
            [row["flagID"], row["flagName"], row["flagText"]]
            for row in _load("sde2021_invFlags.json")
        ],
    }


def main() -> None:
    """Write the snapshot."""
    if not SOURCE.is_dir():
        sys.exit(f"source data not found at {SOURCE}")
    snapshot = build()
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(snapshot, separators=(",", ":"), ensure_ascii=False).encode()
    TARGET.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    counts = {k: len(v) for k, v in snapshot.items() if k != "columns"}
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes): {counts}")


if __name__ == "__main__":
    main()
