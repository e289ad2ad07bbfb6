"""The simulated universe: alliances, corporations, characters and the static tables.

Plain mutable dataclasses so tests can compare stored rows against them, and so
`advance()` can change affiliations and names in place. A character's alliance is
always its corporation's alliance, as in EVE.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from killreport.universe.static import StaticUniverse

NPC_CORPORATION_IDS = range(1_000_000, 2_000_000)
NPC_CHARACTER_IDS = range(3_000_000, 4_000_000)


@dataclass(slots=True)
class Alliance:
    """A player alliance."""

    alliance_id: int
    name: str
    ticker: str
    creator_id: int
    creator_corporation_id: int
    executor_corporation_id: int | None
    date_founded: str
    faction_id: int | None = None
    closed: bool = False
    modified_at: float = 0.0


@dataclass(slots=True)
class Corporation:
    """A player or NPC corporation."""

    corporation_id: int
    name: str
    ticker: str
    alliance_id: int | None
    ceo_id: int
    creator_id: int
    date_founded: str | None
    member_count: int
    tax_rate: float
    home_station_id: int
    npc: bool = False
    faction_id: int | None = None
    shares: int = 1000
    war_eligible: bool = True
    url: str = ""
    description: str = ""
    closed: bool = False
    modified_at: float = 0.0


@dataclass(slots=True)
class Character:
    """A player or NPC character."""

    character_id: int
    name: str
    corporation_id: int
    birthday: str
    gender: str
    race_id: int
    bloodline_id: int
    security_status: float
    npc: bool = False
    faction_id: int | None = None
    title: str = ""
    description: str = ""
    achievement_score: int = 0
    modified_at: float = 0.0


@dataclass(slots=True)
class Universe:
    """Every entity the simulator knows, by id, plus indexes kept in step with changes."""

    static: StaticUniverse
    alliances: dict[int, Alliance] = field(default_factory=dict)
    corporations: dict[int, Corporation] = field(default_factory=dict)
    characters: dict[int, Character] = field(default_factory=dict)
    # Characters holding the Director role in their corporation (the CEOs and a few more).
    directors: set[int] = field(default_factory=set)
    _alliance_members: dict[int, list[int]] | None = None
    _names: dict[str, list[tuple[str, int]]] | None = None

    def alliance_of(self, corporation_id: int) -> int | None:
        """The alliance a corporation belongs to now."""
        corporation = self.corporations.get(corporation_id)
        return corporation.alliance_id if corporation else None

    def active_alliance_ids(self) -> list[int]:
        """Ids of every alliance that is not closed, ascending."""
        return sorted(a.alliance_id for a in self.alliances.values() if not a.closed)

    def alliance_members(self, alliance_id: int) -> list[int]:
        """Corporation ids in an alliance, ascending (index rebuilt after changes)."""
        if self._alliance_members is None:
            members: dict[int, list[int]] = {}
            for corporation in self.corporations.values():
                if corporation.alliance_id is not None:
                    members.setdefault(corporation.alliance_id, []).append(
                        corporation.corporation_id
                    )
            for ids in members.values():
                ids.sort()
            self._alliance_members = members
        return self._alliance_members.get(alliance_id, [])

    def name_index(self) -> dict[str, list[tuple[str, int]]]:
        """Exact name -> [(category, id)] over every named entity (built on first use)."""
        if self._names is None:
            names: dict[str, list[tuple[str, int]]] = {}
            for category, rows in self.named_rows():
                for entity_id, name in rows:
                    names.setdefault(name, []).append((category, entity_id))
            self._names = names
        return self._names

    def named_rows(self) -> list[tuple[str, list[tuple[int, str]]]]:
        """(category, [(id, name)]) for each kind `POST /universe/ids` resolves."""
        static = self.static
        return [
            ("alliances", [(a.alliance_id, a.name) for a in self.alliances.values()]),
            ("characters", [(c.character_id, c.name) for c in self.characters.values()]),
            ("corporations", [(c.corporation_id, c.name) for c in self.corporations.values()]),
            (
                "constellations",
                [(c.constellation_id, c.name) for c in static.constellations.values()],
            ),
            ("factions", [(f.faction_id, f.name) for f in static.factions.values()]),
            (
                "inventory_types",
                [(t.type_id, t.name) for t in static.types.values() if t.name is not None],
            ),
            ("regions", [(r.region_id, r.name) for r in static.regions.values()]),
            ("systems", [(s.system_id, s.name) for s in static.systems.values()]),
        ]

    def name_of(self, entity_id: int) -> tuple[str, str] | None:
        """(category as `POST /universe/names` spells it, name) of an id, or None."""
        if (character := self.characters.get(entity_id)) is not None:
            return "character", character.name
        if (corporation := self.corporations.get(entity_id)) is not None:
            return "corporation", corporation.name
        if (alliance := self.alliances.get(entity_id)) is not None:
            return "alliance", alliance.name
        static = self.static
        if (kind := static.types.get(entity_id)) is not None and kind.name is not None:
            return "inventory_type", kind.name
        if (system := static.systems.get(entity_id)) is not None:
            return "solar_system", system.name
        if (constellation := static.constellations.get(entity_id)) is not None:
            return "constellation", constellation.name
        if (region := static.regions.get(entity_id)) is not None:
            return "region", region.name
        if (faction := static.factions.get(entity_id)) is not None:
            return "faction", faction.name
        return None

    def changed(self) -> None:
        """Drop the derived indexes after entities changed."""
        self._alliance_members = None
        self._names = None

    def counts(self) -> dict[str, int]:
        """Entity counts by kind (what `GET /_sim/universe` reports)."""
        static = self.static
        return {
            "alliances": len(self.alliances),
            "active_alliances": sum(1 for a in self.alliances.values() if not a.closed),
            "corporations": len(self.corporations),
            "npc_corporations": sum(1 for c in self.corporations.values() if c.npc),
            "characters": len(self.characters),
            "npc_characters": sum(1 for c in self.characters.values() if c.npc),
            "directors": len(self.directors),
            "types": len(static.types),
            "groups": len(static.groups),
            "categories": len(static.categories),
            "systems": len(static.systems),
            "constellations": len(static.constellations),
            "regions": len(static.regions),
        }
