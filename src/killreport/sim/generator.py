"""Deterministic universe generator: the real killmails' entities plus generated ones.

Generated alliances are founded by a member corporation (their executor), corporations by
a member character (their CEO); most corporations are in an alliance; every player
character is in at least one killmail, so a killboard can discover all of them.
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
from killreport.sim.killmails import KillmailStore, generate_killmails
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
    """Generated entity counts; with `real`, the real killmails' entities come on top."""

    alliances: int
    corporations: int
    characters: int
    killmails: int
    # Also include the 108 real killmails and every entity they name (348 alliances,
    # 1,300 player corporations, 3,333 characters, besides the counts above).
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
# Share of generated player corporations in an alliance (in EVE roughly 60-80% of the
# corporations with members are).
ALLIED_SHARE = 0.7
# Share of generated characters in NPC corporations (starter and militia corporations).
NPC_MEMBER_SHARE = 0.1
# Alliance and corporation sizes follow a Pareto law: a few giants, a long tail of small
# ones. The cap keeps one giant from swallowing a small universe.
SIZE_SHAPE = 1.2
MAX_SIZE_WEIGHT = 300.0
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
        """Add the generated alliances, corporations and characters (counts as in `size`).

        Each alliance is founded by one corporation (its executor) and each corporation by
        one character (its CEO); then ALLIED_SHARE of all corporations are in an alliance,
        and the other characters join corporations, big ones more often.
        """
        rng = self.rng
        r = rng.random
        corp_count = min(size.corporations, size.characters)
        alliance_count = min(size.alliances, corp_count)
        alliance_ids = list(range(FIRST_ALLIANCE_ID, FIRST_ALLIANCE_ID + alliance_count))
        alliance_weights = _cumulative_weights(rng, alliance_count)
        joiners = max(0, round(corp_count * ALLIED_SHARE) - alliance_count)
        join_p = joiners / max(1, corp_count - alliance_count)
        corporations = []
        for index in range(corp_count):
            alliance_id: int | None = None
            if index < alliance_count:
                alliance_id = alliance_ids[index]
            elif alliance_ids and r() < join_p:
                alliance_id = rng.choices(alliance_ids, cum_weights=alliance_weights)[0]
            corporations.append(self.corporation(FIRST_CORPORATION_ID + index, alliance_id))
        for index, alliance_id in enumerate(alliance_ids):
            self.alliance(alliance_id, creator_corporation_id=FIRST_CORPORATION_ID + index)
        character_id = FIRST_CHARACTER_ID
        for corporation in corporations:
            ceo = self.character(character_id, corporation.corporation_id)
            corporation.ceo_id = corporation.creator_id = ceo.character_id
            character_id += 1
        npc_corps = [c.corporation_id for c in self.universe.corporations.values() if c.npc]
        corp_ids = [c.corporation_id for c in corporations]
        corp_weights = _cumulative_weights(rng, corp_count)
        for _ in range(size.characters - corp_count):
            if npc_corps and (not corp_ids or r() < NPC_MEMBER_SHARE):
                corporation_id = npc_corps[int(r() * len(npc_corps))]
            else:
                corporation_id = rng.choices(corp_ids, cum_weights=corp_weights)[0]
            self.character(character_id, corporation_id)
            character_id += 1

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
            if corporation.ceo_id not in ids:
                corporation.ceo_id = corporation.creator_id = ids[0]
            universe.directors.add(corporation.ceo_id)
            if len(ids) > 3 and rng.random() < 0.5:
                universe.directors.add(next(i for i in ids if i != corporation.ceo_id))
        universe.changed()
        for alliance in universe.alliances.values():
            corps = universe.alliance_members(alliance.alliance_id)
            if alliance.creator_corporation_id not in universe.corporations:
                alliance.creator_corporation_id = (
                    corps[0]
                    if corps
                    else min(c.corporation_id for c in universe.corporations.values() if not c.npc)
                )
            # The founding corporation stays executor while it is a member.
            if alliance.creator_corporation_id in corps:
                alliance.executor_corporation_id = alliance.creator_corporation_id
            else:
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
        """Store the real killmails verbatim (when `real`) and at least `count` generated
        ones: enough that every player character is in at least one killmail."""
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
            cover=self.unseen_characters(),
        )

    def unseen_characters(self) -> list[int]:
        """Player characters in no killmail yet, in fleets: by alliance, then corporation.

        Generated killmails take their attackers from the front of this list and their
        victims from the back, so a killmail's attackers are mostly corp- or alliance-mates
        and its victim someone else, as on a real killboard.
        """
        universe, seen = self.universe, self.store.by_character
        groups: dict[int, dict[int, list[int]]] = {}  # alliance or corp -> corp -> members
        for character in universe.characters.values():
            if character.npc or character.character_id in seen:
                continue
            corporation_id = character.corporation_id
            group = universe.alliance_of(corporation_id) or corporation_id
            groups.setdefault(group, {}).setdefault(corporation_id, []).append(
                character.character_id
            )
        keys = sorted(groups)
        self.rng.shuffle(keys)
        return [
            character_id
            for key in keys
            for corporation_id in sorted(groups[key])
            for character_id in groups[key][corporation_id]
        ]


def _cumulative_weights(rng: random.Random, count: int) -> list[float]:
    """Running totals of `count` Pareto-distributed size weights (for `Random.choices`)."""
    total, running = 0.0, []
    for _ in range(count):
        total += min(rng.paretovariate(SIZE_SHAPE), MAX_SIZE_WEIGHT)
        running.append(total)
    return running


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
