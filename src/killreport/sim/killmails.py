"""Killmails the simulator serves: the recorded real ones verbatim and generated ones.

A generated killmail is stored compactly (participants, time, template) and its ESI
body is built on first use from a real killmail of the same shape: the template's
items (flags, nesting, quantities, blueprint copies), attacker slots (NPC attackers
stay NPCs) and victim kind (structures have no character) are kept; the people,
place and time are the generated ones.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from killreport.sim.corpus import RealKillmail
from killreport.sim.universe import Universe

# Templates with more attackers than this are not reused (they would dominate the indexes).
MAX_TEMPLATE_ATTACKERS = 100

# (character_id or None, corporation_id, alliance_id or None)
Party = tuple[int | None, int, int | None]


@dataclass(slots=True)
class KillmailRecord:
    """One killmail: id, hash, time and who was in it; `body` once built or recorded."""

    killmail_id: int
    killmail_hash: str
    time_s: float
    solar_system_id: int
    victim: Party
    attackers: tuple[Party, ...]
    template: int = -1
    body: dict[str, Any] | None = None
    zkb: dict[str, Any] | None = None


def killmail_hash(seed: int, killmail_id: int) -> str:
    """A deterministic 40-hex-digit hash like ESI's."""
    return hashlib.sha1(f"sim:{seed}:{killmail_id}".encode(), usedforsecurity=False).hexdigest()


def iso_time(unix_s: float) -> str:
    """ESI's date-time form: `2026-01-02T03:04:05Z`."""
    return datetime.fromtimestamp(int(unix_s), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> float:
    """Unix seconds of an ESI date-time."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def player_slots(esi: dict[str, Any]) -> int:
    """How many attackers of a killmail are characters (the rest are NPCs or structures)."""
    return sum(1 for attacker in esi["attackers"] if "character_id" in attacker)


@dataclass(slots=True)
class KillmailStore:
    """Every killmail by id, with per-entity indexes (ascending killmail ids)."""

    templates: tuple[RealKillmail, ...]
    records: dict[int, KillmailRecord] = field(default_factory=dict)
    by_character: dict[int, list[int]] = field(default_factory=dict)
    by_corporation: dict[int, list[int]] = field(default_factory=dict)
    by_alliance: dict[int, list[int]] = field(default_factory=dict)
    losses: set[tuple[int, int]] = field(default_factory=set)  # (entity id, killmail id)
    ordered_ids: list[int] = field(default_factory=list)

    def add(self, record: KillmailRecord) -> None:
        """Store a killmail and index every party (replacing one with the same id)."""
        killmail_id = record.killmail_id
        if killmail_id in self.records:
            self.remove(killmail_id)
        self.records[killmail_id] = record
        _insert(self.ordered_ids, killmail_id)
        indexes = (self.by_character, self.by_corporation, self.by_alliance)
        for index, entity_id in zip(indexes, record.victim, strict=True):
            if entity_id is not None:
                _insert(index.setdefault(entity_id, []), killmail_id)
                self.losses.add((entity_id, killmail_id))
        # Unrolled: this indexes a million attackers when `large` starts.
        characters, corporations, alliances = indexes
        for character_id, corporation_id, alliance_id in record.attackers:
            if character_id is not None:
                _insert(characters.setdefault(character_id, []), killmail_id)
            _insert(corporations.setdefault(corporation_id, []), killmail_id)
            if alliance_id is not None:
                _insert(alliances.setdefault(alliance_id, []), killmail_id)

    def remove(self, killmail_id: int) -> None:
        """Forget a killmail and its index entries."""
        record = self.records.pop(killmail_id)
        _discard(self.ordered_ids, killmail_id)
        for party in (record.victim, *record.attackers):
            for index, entity_id in zip(
                (self.by_character, self.by_corporation, self.by_alliance), party, strict=True
            ):
                if entity_id is not None and entity_id in index:
                    _discard(index[entity_id], killmail_id)
                    self.losses.discard((entity_id, killmail_id))

    def add_body(self, esi: dict[str, Any], hash_: str, zkb: dict[str, Any] | None = None) -> None:
        """Store a killmail given as its ESI body (served back exactly)."""
        victim = esi["victim"]
        record = KillmailRecord(
            killmail_id=int(esi["killmail_id"]),
            killmail_hash=hash_,
            time_s=parse_time(esi["killmail_time"]),
            solar_system_id=int(esi["solar_system_id"]),
            victim=(
                victim.get("character_id"),
                victim.get("corporation_id", 0),
                victim.get("alliance_id"),
            ),
            attackers=tuple(
                (a["character_id"], a.get("corporation_id", 0), a.get("alliance_id"))
                for a in esi["attackers"]
                if "character_id" in a
            ),
            body=esi,
            zkb=zkb,
        )
        self.add(record)

    def body(self, record: KillmailRecord) -> dict[str, Any]:
        """The ESI body of a killmail, built from its template on first use."""
        if record.body is None:
            record.body = self._build(record)
        return record.body

    def _build(self, record: KillmailRecord) -> dict[str, Any]:
        template = self.templates[record.template].esi
        victim_template = template["victim"]
        victim: dict[str, Any] = {}
        character_id, corporation_id, alliance_id = record.victim
        if alliance_id is not None:
            victim["alliance_id"] = alliance_id
        if character_id is not None:
            victim["character_id"] = character_id
        victim["corporation_id"] = corporation_id
        for key in ("damage_taken", "faction_id", "items", "position", "ship_type_id"):
            if key in victim_template:
                victim[key] = copy.deepcopy(victim_template[key])
        attackers = []
        players = iter(record.attackers)
        for slot in template["attackers"]:
            attacker = dict(slot)
            if "character_id" in slot:
                character_id, corporation_id, alliance_id = next(players)
                attacker.pop("alliance_id", None)
                attacker.pop("faction_id", None)
                attacker["character_id"] = character_id
                attacker["corporation_id"] = corporation_id
                if alliance_id is not None:
                    attacker["alliance_id"] = alliance_id
            attackers.append(dict(sorted(attacker.items())))
        body: dict[str, Any] = {
            "attackers": attackers,
            "killmail_id": record.killmail_id,
            "killmail_time": iso_time(record.time_s),
            "solar_system_id": record.solar_system_id,
            "victim": victim,
        }
        if "war_id" in template:
            body["war_id"] = template["war_id"]
        return body

    def ids_of(self, kind: str, entity_id: int) -> list[int]:
        """Ascending killmail ids an entity took part in (`character`/`corporation`/`alliance`)."""
        index = {
            "character": self.by_character,
            "corporation": self.by_corporation,
            "alliance": self.by_alliance,
        }[kind]
        return index.get(entity_id, [])


def usable_templates(store: KillmailStore) -> list[int]:
    """Indexes of real killmails whose shape generated killmails copy."""
    return [
        i
        for i, mail in enumerate(store.templates)
        if len(mail.esi["attackers"]) <= MAX_TEMPLATE_ATTACKERS
    ]


def _someone(rng: random.Random, players: list[int], taken: set[int]) -> int:
    """A random player not already in the killmail (ESI never names anyone twice)."""
    character_id = players[int(rng.random() * len(players))]
    while character_id in taken and len(taken) < len(players):
        character_id = players[int(rng.random() * len(players))]
    taken.add(character_id)
    return character_id


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
    cover: Sequence[int] = (),
) -> list[KillmailRecord]:
    """Add `count` generated killmails with ids from `first_id`, times spread start..end;
    more if needed so that every character in `cover` is in one (attackers taken from the
    front of `cover`, victims from the back; the other places go to random players)."""
    templates = usable_templates(store)
    slots = {t: player_slots(store.templates[t].esi) for t in templates}
    victims = {t: "character_id" in store.templates[t].esi["victim"] for t in templates}
    r = rng.random
    chosen: list[int] = []
    room = 0
    while len(chosen) < count or room < len(cover):
        template = templates[int(r() * len(templates))]
        chosen.append(template)
        room += slots[template] + victims[template]
    players = [c.character_id for c in universe.characters.values() if not c.npc]
    systems = list(universe.static.systems)
    player_corps = [c.corporation_id for c in universe.corporations.values() if not c.npc]
    characters = universe.characters
    alliance_of = {c.corporation_id: c.alliance_id for c in universe.corporations.values()}

    def party(character_id: int) -> Party:
        corporation_id = characters[character_id].corporation_id
        return character_id, corporation_id, alliance_of.get(corporation_id)

    queue = deque(cover)
    made: list[KillmailRecord] = []
    killmail_id = first_id
    step_s = (end_s - start_s) / max(len(chosen), 1)
    for index, template in enumerate(chosen):
        taken: set[int] = set()
        victim: Party
        if victims[template]:
            victim_id = queue.pop() if queue else _someone(rng, players, taken)
            taken.add(victim_id)
            victim = party(victim_id)
        else:
            corporation_id = player_corps[int(r() * len(player_corps))]
            victim = (None, corporation_id, alliance_of.get(corporation_id))
        attackers = []
        for _ in range(slots[template]):
            attacker_id = queue.popleft() if queue else _someone(rng, players, taken)
            taken.add(attacker_id)
            attackers.append(party(attacker_id))
        record = KillmailRecord(
            killmail_id=killmail_id,
            killmail_hash=killmail_hash(seed, killmail_id),
            time_s=float(int(start_s + index * step_s + r() * step_s)),
            solar_system_id=systems[int(r() * len(systems))],
            victim=victim,
            attackers=tuple(attackers),
            template=template,
        )
        store.add(record)
        made.append(record)
        killmail_id += 1 + int(r() * 40)
    return made


def generate_for_character(
    universe: Universe,
    store: KillmailStore,
    rng: random.Random,
    seed: int,
    character_id: int,
    count: int,
    *,
    start_s: float,
    end_s: float,
) -> list[KillmailRecord]:
    """`count` new killmails, each with `character_id` as its first player attacker (a pilot
    with a long history for the killmails/recent routes); ids above every stored one."""
    first_id = (store.ordered_ids[-1] + 1) if store.ordered_ids else 100_000_000
    # Some templates name no player attacker; make spares and drop what is not needed.
    made = generate_killmails(
        universe, store, rng, seed, count * 2, first_id=first_id, start_s=start_s, end_s=end_s
    )
    corporation_id = universe.characters[character_id].corporation_id
    party: Party = (character_id, corporation_id, universe.alliance_of(corporation_id))
    result: list[KillmailRecord] = []
    for record in made:
        store.remove(record.killmail_id)
        if len(result) == count or not record.attackers:
            continue
        involved = record.victim[0] == character_id or any(
            a[0] == character_id for a in record.attackers
        )
        if not involved:
            record.attackers = (party, *record.attackers[1:])
        store.add(record)
        result.append(record)
    return result


def _insert(ids: list[int], killmail_id: int) -> None:
    if not ids or ids[-1] < killmail_id:
        ids.append(killmail_id)
        return
    if ids[-1] == killmail_id:  # corp- and alliance-mates in one killmail
        return
    position = bisect.bisect_left(ids, killmail_id)
    if position == len(ids) or ids[position] != killmail_id:
        ids.insert(position, killmail_id)


def _discard(ids: list[int], killmail_id: int) -> None:
    position = bisect.bisect_left(ids, killmail_id)
    if position < len(ids) and ids[position] == killmail_id:
        del ids[position]
