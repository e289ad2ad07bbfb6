"""Names for the ids a page shows, loaded once per page with one statement per entity kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.killmails.detail import KillmailDetail
from killreport.universe import lookups
from killreport.universe.static import StaticUniverse, load_static

Loader = Callable[[AsyncSession, Iterable[int]], Awaitable[Mapping[int, Any]]]

# Page kind -> the read layer's batch loader of that kind.
LOADERS: Final[dict[str, Loader]] = {
    "character": lookups.load_characters,
    "corporation": lookups.load_corporations,
    "alliance": lookups.load_alliances,
    "type": lookups.load_types,
    "group": lookups.load_groups,
    "system": lookups.load_solar_systems,
    "constellation": lookups.load_constellations,
    "region": lookups.load_regions,
}


# Page kind -> the static snapshot's table: names that never wait for ESI (the package
# ships them), shown until the workers have stored the entity.
STATIC_TABLES: Final[dict[str, str]] = {
    "type": "types",
    "group": "groups",
    "system": "systems",
    "constellation": "constellations",
    "region": "regions",
}


def _static_name(kind: str, entity_id: int) -> str | None:
    table = STATIC_TABLES.get(kind)
    if table is None:
        return None
    universe: StaticUniverse = load_static()
    row = getattr(universe, table).get(entity_id)
    name = getattr(row, "name", None) if row is not None else None
    return str(name) if name else None


@dataclass
class NameBook:
    """Ids asked for by kind, then their loaded infos; templates read names from it."""

    wanted: dict[str, set[int]] = field(default_factory=lambda: {kind: set() for kind in LOADERS})
    infos: dict[str, Mapping[int, Any]] = field(default_factory=dict)

    def want(self, kind: str, *ids: int | None) -> None:
        """Ask for the names of these ids (None is skipped)."""
        self.wanted[kind].update(i for i in ids if i is not None)

    def want_killmail(self, killmail: KillmailDetail, *, items: bool = False) -> None:
        """Ask for every name a killmail row (or, with items, its page) shows."""
        self.want("character", killmail.victim_character_id, killmail.final_blow_character_id)
        self.want("corporation", killmail.victim_corporation_id)
        self.want("alliance", killmail.victim_alliance_id)
        self.want("type", killmail.victim_ship_type_id)
        self.want("system", killmail.solar_system_id)
        self.want("region", killmail.region_id)
        for attacker in killmail.attackers if items else ():
            self.want("character", attacker.character_id)
            self.want("corporation", attacker.corporation_id)
            self.want("alliance", attacker.alliance_id)
            self.want("type", attacker.ship_type_id, attacker.weapon_type_id)
        if items:
            self.want("constellation", killmail.constellation_id)
            self.want("group", killmail.victim_ship_group_id)
            stack = list(killmail.items)
            while stack:
                item = stack.pop()
                self.want("type", item.item_type_id)
                stack.extend(item.children)

    async def load(self, session: AsyncSession) -> NameBook:
        """Load every wanted kind that has ids: one statement per kind."""
        for kind, ids in self.wanted.items():
            missing = ids - set(self.infos.get(kind, {}))
            if missing:
                loaded = dict(self.infos.get(kind, {}))
                loaded.update(await LOADERS[kind](session, sorted(missing)))
                self.infos[kind] = loaded
        return self

    def info(self, kind: str, entity_id: int | None) -> Any | None:
        """The loaded info of an id, or None when unknown."""
        if entity_id is None:
            return None
        return self.infos.get(kind, {}).get(entity_id)

    def name(self, kind: str, entity_id: int | None) -> str:
        """The name of an id (stored, else the static snapshot's); '#id' while unknown."""
        if entity_id is None:
            return ""
        info = self.info(kind, entity_id)
        name = getattr(info, "name", None) if info is not None else None
        return str(name) if name else (_static_name(kind, entity_id) or f"#{entity_id}")

    def ticker(self, kind: str, entity_id: int | None) -> str:
        """The ticker of a corporation or alliance, '' when unknown."""
        info = self.info(kind, entity_id)
        ticker = getattr(info, "ticker", None) if info is not None else None
        return str(ticker) if ticker else ""
