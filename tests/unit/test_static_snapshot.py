"""The shipped static snapshot resolves what killmails reference, without ESI."""

from __future__ import annotations

from killreport.universe.static import load_static

JITA = 30000142
RIFTER = 587
FRIGATE_GROUP = 25
SHIP_CATEGORY = 6
THE_FORGE = 10000002


def test_snapshot_resolves_types_to_categories_and_systems_to_regions() -> None:
    # given the snapshot shipped in the package
    static = load_static()
    # then a Rifter is a frigate, a ship, and Jita is in The Forge with 0.9 security
    assert static.types[RIFTER].name == "Rifter"
    assert static.group_of_type(RIFTER) == FRIGATE_GROUP
    assert static.category_of_type(RIFTER) == SHIP_CATEGORY
    assert static.systems[JITA].name == "Jita"
    assert round(static.systems[JITA].security_status, 1) == 0.9
    assert static.region_of_system(JITA) == THE_FORGE
    assert static.regions[THE_FORGE].name == "The Forge"
    # and the tables are complete enough for the whole map
    assert len(static.systems) == 8490
    assert len(static.regions) == 114
    assert len(static.types) > 50_000


def test_unknown_ids_give_none() -> None:
    static = load_static()
    assert static.category_of_type(-1) is None
    assert static.region_of_system(-1) is None


def test_every_real_killmail_reference_resolves() -> None:
    # given the 108 real killmails shipped for the simulator
    import gzip
    import json
    from importlib import resources

    raw = resources.files("killreport.sim").joinpath("data", "real_killmails.jsonl.gz")
    rows = [json.loads(line) for line in gzip.decompress(raw.read_bytes()).splitlines()]
    static = load_static()
    # then every system has a region and every victim ship has a category
    assert len(rows) == 108
    for row in rows:
        esi = row["esi"]
        assert static.region_of_system(esi["solar_system_id"]) is not None
        ship_type_id = esi["victim"]["ship_type_id"]
        assert static.category_of_type(ship_type_id) is not None, row["killmail_id"]
