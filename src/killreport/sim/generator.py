"""Deterministic universe generator: the real killmails' entities grown to a chosen size.

Same seed, same size -> the same entities and killmails (times are anchored on the
epoch given, so they are reproducible too when the epoch is fixed).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from killreport.sim.corpus import RealKillmail, real_killmails
from killreport.sim.killmails import (
    KillmailRecord,
    KillmailStore,
    Party,
    killmail_hash,
    player_slots,
)
from killreport.sim.names import NameBook, ticker
from killreport.sim.universe import (
    NPC_CHARACTER_IDS,
    NPC_CORPORATION_IDS,
    Alliance,
    Character,
    Corporation,
    Universe,
)
from killreport.universe.static import load_static


@dataclass(frozen=True, slots=True)
class UniverseSize:
    """Target entity counts (the real killmails' entities count towards them)."""

    alliances: int
    corporations: int
    characters: int
    killmails: int
    # Include the 108 real killmails and every entity they name (counts as part of the size).
    real: bool = True


SIZES: dict[str, UniverseSize] = {
    # Generated entities only (the real killmails and their 3,300 characters left out).
    "tiny": UniverseSize(
        alliances=20, corporations=200, characters=2_000, killmails=300, real=False
    ),
    "small": UniverseSize(alliances=20, corporations=200, characters=2_000, killmails=400),
    "medium": UniverseSize(alliances=300, corporations=3_000, characters=30_000, killmails=3_000),
    "large": UniverseSize(
        alliances=3_500, corporations=20_000, characters=100_000, killmails=10_000
    ),
}

FIRST_ALLIANCE_ID = 99_100_000
FIRST_CORPORATION_ID = 98_900_000
FIRST_CHARACTER_ID = 2_130_000_000
FIRST_KILLMAIL_ID = 140_000_000
# Generated killmails spread over this many days before the epoch.
KILLMAIL_SPAN_DAYS = 120
# Templates with more attackers than this are not reused (they would dominate the indexes).
MAX_TEMPLATE_ATTACKERS = 100
_RACES = ((1, (1, 2, 11)), (2, (3, 4, 12)), (4, (5, 6, 13)), (8, (7, 8, 14)))
_STATIONS = (60003760, 60008494, 60004588, 60011866, 60005686, 60003316)


def resolve_size(universe: str | Path) -> UniverseSize:
    """The counts for `small|medium|large`, or read from a JSON file of the four counts."""
    if isinstance(universe, str) and universe in SIZES:
        return SIZES[universe]
    document = json.loads(Path(universe).read_text(encoding="utf-8"))
    return UniverseSize(
        alliances=int(document["alliances"]),
        corporations=int(document["corporations"]),
        characters=int(document["characters"]),
        killmails=int(document.get("killmails", 0)),
        real=bool(document.get("real_killmails", True)),
    )


_DATE_POOL: dict[tuple[int, int], list[str]] = {}
_DATE_POOL_SIZE = 8192


def _date(rng: random.Random, first_year: int, last_year: int) -> str:
    # A pool of dates per range: formatting 100,000 dates one by one costs seconds.
    pool = _DATE_POOL.get((first_year, last_year))
    if pool is None:
        first = datetime(first_year, 1, 1, tzinfo=UTC).timestamp()
        span = datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp() - first
        step = span / _DATE_POOL_SIZE
        pool = _DATE_POOL[(first_year, last_year)] = [
            time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(first + i * step + (i * 7919) % step))
            )
            for i in range(_DATE_POOL_SIZE)
        ]
    return pool[int(rng.random() * _DATE_POOL_SIZE)]


class _Builder:
    def __init__(self, seed: int, epoch: float) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.epoch = epoch
        self.names = NameBook(self.rng)
        self.universe = Universe(static=load_static())
        self.store = KillmailStore(templates=real_killmails())

    # -- entities ---------------------------------------------------------------------
    def alliance(self, alliance_id: int, creator_corporation_id: int) -> Alliance:
        rng = self.rng
        name = self.names.alliance(rng)
        found = Alliance(
            alliance_id,
            name,
            ticker(rng, name),
            creator_id=0,
            creator_corporation_id=creator_corporation_id,
            executor_corporation_id=creator_corporation_id,
            date_founded=_date(rng, 2004, 2025),
            modified_at=self.epoch,
        )
        self.universe.alliances[alliance_id] = found
        return found

    def corporation(self, corporation_id: int, alliance_id: int | None) -> Corporation:
        rng = self.rng
        npc = corporation_id in NPC_CORPORATION_IDS
        name = self.names.corporation(rng)
        found = Corporation(
            corporation_id,
            name,
            ticker(rng, name),
            alliance_id=alliance_id,
            ceo_id=0,
            creator_id=0,
            date_founded=None if npc else _date(rng, 2003, 2025),
            member_count=0,
            tax_rate=(0.0, 0.05, 0.1, 0.1, 0.15)[int(rng.random() * 5)],
            home_station_id=_STATIONS[int(rng.random() * len(_STATIONS))],
            npc=npc,
            war_eligible=not npc,
            modified_at=self.epoch,
        )
        self.universe.corporations[corporation_id] = found
        return found

    def character(self, character_id: int, corporation_id: int) -> Character:
        rng = self.rng
        r = rng.random
        race_id, bloodlines = _RACES[int(r() * len(_RACES))]
        found = Character(
            character_id,
            self.names.character(rng),
            corporation_id,
            birthday=_date(rng, 2003, 2025),
            gender="male" if r() < 0.5 else "female",
            race_id=race_id,
            bloodline_id=bloodlines[int(r() * 3)],
            security_status=round(r() * 15.0 - 10.0, 2),
            npc=character_id in NPC_CHARACTER_IDS,
            achievement_score=int(r() * 5001),
            modified_at=self.epoch,
        )
        self.universe.characters[character_id] = found
        return found

    def seed_from_killmails(self, mails: tuple[RealKillmail, ...]) -> None:
        """Create every entity the real killmails name, with their latest affiliation."""
        latest: dict[int, tuple[int, int, int | None]] = {}  # character -> (km, corp, alliance)
        corporations: dict[int, tuple[int, int | None]] = {}  # corp -> (km, alliance)
        for mail in sorted(mails, key=lambda m: m.killmail_id):
            for party in (mail.esi["victim"], *mail.esi["attackers"]):
                corporation_id = party.get("corporation_id")
                if corporation_id is None:
                    continue
                alliance_id = party.get("alliance_id")
                corporations[corporation_id] = (mail.killmail_id, alliance_id)
                if "character_id" in party:
                    latest[party["character_id"]] = (mail.killmail_id, corporation_id, alliance_id)
        for alliance_id in sorted({a for _, a in corporations.values() if a is not None}):
            self.alliance(alliance_id, creator_corporation_id=0)
        for corporation_id, (_, alliance_id) in sorted(corporations.items()):
            self.corporation(corporation_id, alliance_id)
        for character_id, (_, corporation_id, _) in sorted(latest.items()):
            self.character(character_id, corporation_id)

    def seed_npc_corporations(self) -> None:
        """The factions' NPC corporations (starter and militia corps)."""
        for faction in self.universe.static.factions.values():
            for corporation_id in (faction.corporation_id, faction.militia_corporation_id):
                if corporation_id is not None and corporation_id not in self.universe.corporations:
                    corporation = self.corporation(corporation_id, None)
                    corporation.faction_id = faction.faction_id

    def grow(self, size: UniverseSize) -> None:
        """Add generated alliances, corporations and characters up to the target counts."""
        universe, rng = self.universe, self.rng
        new_alliances = [
            FIRST_ALLIANCE_ID + i for i in range(max(0, size.alliances - len(universe.alliances)))
        ]
        corp_count = max(0, size.corporations - len(universe.corporations))
        new_corps = [FIRST_CORPORATION_ID + i for i in range(corp_count)]
        for index, corporation_id in enumerate(new_corps):
            # Every new alliance gets its executor first; later corps join at random.
            if index < len(new_alliances):
                alliance_id: int | None = new_alliances[index]
            elif new_alliances and rng.random() < 0.6:
                alliance_id = rng.choice(new_alliances)
            else:
                alliance_id = None
            self.corporation(corporation_id, alliance_id)
        for index, alliance_id in enumerate(new_alliances):
            self.alliance(
                alliance_id,
                creator_corporation_id=new_corps[index] if index < len(new_corps) else 0,
            )
        player_corps = [c for c in universe.corporations.values() if not c.npc]
        npc_corps = [c.corporation_id for c in universe.corporations.values() if c.npc]
        char_count = max(0, size.characters - len(universe.characters))
        for index in range(char_count):
            if index < len(player_corps):
                corporation_id = player_corps[index].corporation_id
            elif npc_corps and rng.random() < 0.1:
                corporation_id = npc_corps[int(rng.random() * len(npc_corps))]
            else:
                corporation_id = (
                    player_corps[int(rng.random() * len(player_corps))].corporation_id
                    if player_corps
                    else npc_corps[0]
                )
            self.character(FIRST_CHARACTER_ID + index, corporation_id)

    def finish(self) -> None:
        """Member counts, CEOs, directors, creators and executors consistent with members."""
        universe, rng = self.universe, self.rng
        members: dict[int, list[int]] = {}
        for character in universe.characters.values():
            members.setdefault(character.corporation_id, []).append(character.character_id)
        for corporation in universe.corporations.values():
            ids = members.get(corporation.corporation_id, [])
            corporation.member_count = len(ids)
            if corporation.npc:
                corporation.ceo_id = corporation.creator_id = (
                    3_004_000 + corporation.corporation_id % 1000
                )
                continue
            if not ids:
                ids = [
                    self.character(
                        self._free_character_id(), corporation.corporation_id
                    ).character_id
                ]
                corporation.member_count = 1
            corporation.ceo_id = corporation.creator_id = ids[0]
            universe.directors.add(ids[0])
            if len(ids) > 3 and rng.random() < 0.5:
                universe.directors.add(ids[1])
        for alliance in universe.alliances.values():
            corps = universe.alliance_members(alliance.alliance_id)
            if (
                alliance.creator_corporation_id == 0
                or alliance.creator_corporation_id not in universe.corporations
            ):
                alliance.creator_corporation_id = (
                    corps[0]
                    if corps
                    else min(c.corporation_id for c in universe.corporations.values() if not c.npc)
                )
            alliance.executor_corporation_id = corps[0] if corps else None
            alliance.creator_id = universe.corporations[alliance.creator_corporation_id].ceo_id
        universe.changed()

    def _free_character_id(self) -> int:
        candidate = FIRST_CHARACTER_ID + len(self.universe.characters) + 500_000
        while candidate in self.universe.characters:
            candidate += 1
        return candidate

    # -- killmails --------------------------------------------------------------------
    def killmails(self, count: int, *, real: bool) -> None:
        """Store the real killmails verbatim (when `real`) and `count` generated ones."""
        for mail in real_killmails() if real else ():
            self.store.add_body(mail.esi, mail.killmail_hash, mail.zkb)
        generate_killmails(
            self.universe,
            self.store,
            self.rng,
            self.seed,
            count,
            first_id=FIRST_KILLMAIL_ID,
            start_s=self.epoch - KILLMAIL_SPAN_DAYS * 86_400,
            end_s=self.epoch - 600,
        )


def usable_templates(store: KillmailStore) -> list[int]:
    """Indexes of real killmails whose shape generated killmails copy."""
    return [
        i
        for i, mail in enumerate(store.templates)
        if len(mail.esi["attackers"]) <= MAX_TEMPLATE_ATTACKERS
    ]


def _party(universe: Universe, character_id: int) -> Party:
    character = universe.characters[character_id]
    return character_id, character.corporation_id, universe.alliance_of(character.corporation_id)


def generate_killmails(
    universe: Universe,
    store: KillmailStore,
    rng: random.Random,
    seed: int,
    count: int,
    *,
    first_id: int,
    start_s: float,
    end_s: float,
) -> list[KillmailRecord]:
    """Add `count` generated killmails with ids from `first_id`, times spread start..end."""
    templates = usable_templates(store)
    slots = {t: player_slots(store.templates[t].esi) for t in templates}
    r = rng.random
    players = [c.character_id for c in universe.characters.values() if not c.npc]
    systems = list(universe.static.systems)
    player_corps = [c.corporation_id for c in universe.corporations.values() if not c.npc]
    made: list[KillmailRecord] = []
    killmail_id = first_id
    step_s = (end_s - start_s) / max(count, 1)
    for index in range(count):
        template = rng.choice(templates)
        esi = store.templates[template].esi
        if "character_id" in esi["victim"]:
            victim = _party(universe, players[int(r() * len(players))])
        else:
            corporation_id = rng.choice(player_corps)
            victim = (None, corporation_id, universe.alliance_of(corporation_id))
        attackers = tuple(
            _party(universe, players[int(r() * len(players))]) for _ in range(slots[template])
        )
        record = KillmailRecord(
            killmail_id=killmail_id,
            killmail_hash=killmail_hash(seed, killmail_id),
            time_s=float(int(start_s + index * step_s + rng.uniform(0, step_s))),
            solar_system_id=systems[int(r() * len(systems))],
            victim=victim,
            attackers=attackers,
            template=template,
        )
        store.add(record)
        made.append(record)
        killmail_id += rng.randint(1, 40)
    return made


def build_universe(seed: int, universe: str | Path, epoch: float) -> tuple[Universe, KillmailStore]:
    """Build the universe and its killmails for a seed and size."""
    size = resolve_size(universe)
    builder = _Builder(seed, epoch)
    if size.real:
        builder.seed_from_killmails(real_killmails())
    builder.seed_npc_corporations()
    builder.grow(size)
    builder.finish()
    builder.killmails(size.killmails, real=size.real)
    return builder.universe, builder.store
