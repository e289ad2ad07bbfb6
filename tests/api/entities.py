"""Names for every entity the 108 real killmails name: the map and types from the static
snapshot (as `tests.stats.dataset` stores them), pilots and groups named after their ids."""

from __future__ import annotations

from sqlalchemy import insert

from killreport.db.engine import Database
from killreport.db.tables import Alliance, Character, Corporation
from tests.killmails.corpus import corpus
from tests.stats.dataset import store_static


def _ids(key: str) -> set[int]:
    found: set[int] = set()
    for row in corpus():
        esi = row["esi"]
        for side in [esi["victim"], *esi["attackers"]]:
            if side.get(key):
                found.add(side[key])
    return found


def character_name(character_id: int) -> str:
    """The name the test gives a character."""
    return f"Pilot {character_id}"


async def store_entities(database: Database) -> None:
    """Store names for every character, corporation, alliance, type and place of the corpus."""
    await store_static(database)
    async with database.transaction() as session:
        await session.execute(
            insert(Character),
            [{"character_id": i, "name": character_name(i)} for i in sorted(_ids("character_id"))],
        )
        await session.execute(
            insert(Corporation),
            [
                {"corporation_id": i, "name": f"Corp {i}", "ticker": f"C{i % 10000}"}
                for i in sorted(_ids("corporation_id"))
            ],
        )
        await session.execute(
            insert(Alliance),
            [
                {"alliance_id": i, "name": f"Alliance {i}", "ticker": f"A{i % 10000}"}
                for i in sorted(_ids("alliance_id"))
            ],
        )
