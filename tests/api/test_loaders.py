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
