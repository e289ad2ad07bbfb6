"""A page of killmails with victim, ship, system and region names costs a constant number
of SQL statements, whatever the page size: each kind is loaded once per request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from killreport.settings import Settings
from killreport.universe.static import load_static
from tests.api.entities import character_name, store_entities
from tests.api.served import served
from tests.killmails.corpus import corpus

PAGE = """
query ($first: Int!) {
  killmails(first: $first) {
    edges { node {
      killmailId
      victim { character { name } corporation { name } shipType { name } }
      solarSystem { name } region { name }
    } }
  }
}
"""


async def test_a_page_of_100_costs_what_a_page_of_10_costs(embedded_settings: Settings) -> None:
    # given the 108 real killmails and names for everything they name
    async with served(embedded_settings) as api:
        await store_entities(api.container.database)
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        event.listen(api.container.database.engine.sync_engine, "before_cursor_execute", count)
        # when pages of 10 and of 100 killmails are asked for with names
        costs = {}
        pages = {}
        for first in (10, 100):
            statements.clear()
            pages[first] = (await api.data(PAGE, {"first": first}))["killmails"]["edges"]
            costs[first] = len([s for s in statements if s.lstrip().upper().startswith("SELECT")])
    # then both cost the same few statements: the page, then one per entity kind
    assert costs[10] == costs[100] <= 6, costs
    assert len(pages[100]) == 100
    # and the names are the stored ones
    static = load_static()
    by_id = {row["killmail_id"]: row["esi"] for row in corpus()}
    for edge in pages[100]:
        node = edge["node"]
        esi = by_id[node["killmailId"]]
        victim = esi["victim"]
        if "character_id" in victim:
            assert node["victim"]["character"]["name"] == character_name(victim["character_id"])
        assert node["victim"]["shipType"]["name"] == static.types[victim["ship_type_id"]].name
        assert node["solarSystem"]["name"] == static.systems[esi["solar_system_id"]].name
        region_id = static.region_of_system(esi["solar_system_id"])
        assert node["region"]["name"] == static.regions[region_id].name  # type: ignore[index]


KILLMAIL_BY_FRAGMENTS = """
query ($id: ID!) {
  killmail(id: $id) { ...Sides }
}
fragment Sides on Killmail {
  killmailId
  attackers { ... on Attacker { character { name } weaponType { name } } }
  items { itemType { name } items { itemType { name } } }
}
"""


async def test_names_asked_through_fragments_are_loaded_once_per_kind(
    embedded_settings: Settings,
) -> None:
    # given the real killmails with names, and the one with the most attackers
    async with served(embedded_settings) as api:
        await store_entities(api.container.database)
        esi = max((row["esi"] for row in corpus()), key=lambda e: len(e["attackers"]))
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        event.listen(api.container.database.engine.sync_engine, "before_cursor_execute", count)
        # when its attackers' and items' names are asked through fragment spreads
        killmail = (await api.data(KILLMAIL_BY_FRAGMENTS, {"id": esi["killmail_id"]}))["killmail"]
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # then the killmail, its attackers and items, characters and types: five statements
    assert len(selects) == 5, selects
    # and every name is the stored one (only ship types are stored here)
    static = load_static()
    ships = {e["victim"]["ship_type_id"] for e in (r["esi"] for r in corpus())} | {
        a["ship_type_id"] for r in corpus() for a in r["esi"]["attackers"] if a.get("ship_type_id")
    }

    def stored_type_name(type_id: int | None) -> str | None:
        return static.types[type_id].name if type_id in ships and type_id in static.types else None

    for given, shown in zip(esi["attackers"], killmail["attackers"], strict=True):
        if "character_id" in given:
            assert shown["character"]["name"] == character_name(given["character_id"])
        weapon_id = given.get("weapon_type_id")
        assert shown["weaponType"]["name"] == stored_type_name(weapon_id)
    shown_names = [i["itemType"]["name"] for i in killmail["items"]]
    assert shown_names == [stored_type_name(i["item_type_id"]) for i in esi["victim"]["items"]]
