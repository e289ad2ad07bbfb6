"""The rows a batch of new killmails becomes: killmails, attackers, items, counters, events.

Pure computation (no I/O) in two steps. `prepare` values, derives and lays out killmails
in each dialect's storage form; it needs no database lock, so `killreport import` runs it
in a child process while the parent writes. `finish` gives the killmails that turned out
new their sequences and the time of storing. The ingest service and the benchmark's raw
baseline both use these, so both write exactly the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from killreport.events.contracts import KillmailCreated
from killreport.killmails.copy_text import CopyText, copy_line, copy_lines
from killreport.killmails.derive import UNPILOTED_PAD_KEY, derive, with_padding
from killreport.killmails.models import ItemLine, ParsedKillmail
from killreport.killmails.valuation import PriceBook, flat_items, value
from killreport.universe.static import StaticUniverse

# The entity kinds whose ids a batch collects for the missing-entity check (the
# repository maps each to its table); names as `universe.specs.EntityKind` spells them.
REFERENCED_KIND_NAMES = ("character", "corporation", "alliance", "type", "solar_system")

# Entity kinds with daily counters: each distinct one among the attackers gets a kill,
# the victim's get a loss.
COUNTED_KINDS = ("character", "corporation", "alliance", "faction")

Row = tuple[Any, ...]
CounterKey = tuple[str, int, date]
# kills, losses, isk destroyed, isk lost, points
Counters = dict[CounterKey, list[float]]
Ids = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the counters and the `killmail.created` event need from one killmail."""

    killmail_id: int
    killmail_time: datetime
    solar_system_id: int
    region_id: int | None
    victim_ship_type_id: int
    # character, corporation, alliance, faction
    victim: tuple[int | None, int | None, int | None, int | None]
    # distinct attacker characters, corporations, alliances, factions, each sorted
    attackers: tuple[Ids, Ids, Ids, Ids]
    total_value: float | None
    points: int | None
    # zKillboard's pad hash, when padding is ours to decide (derive.pad_key)
    pad_key: str | None = None


@dataclass(slots=True)
class PreparedBatch:
    """Killmails laid out for storage, ordered by (time, id); sequences come at `finish`.

    Killmail rows stop before `sequence` and `ingested_at`; `attacker_ends[i]` and
    `item_ends[i]` say where killmail i's attacker and item rows end. Picklable, so a
    child process can prepare while the parent writes.
    """

    sqlite: bool
    killmails: list[Row] = field(default_factory=list)
    attackers: list[Row] = field(default_factory=list)
    attacker_ends: list[int] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    item_ends: list[int] = field(default_factory=list)
    facts: list[Facts] = field(default_factory=list)
    counters: Counters = field(default_factory=dict)
    referenced: dict[str, set[int]] = field(
        default_factory=lambda: {name: set() for name in REFERENCED_KIND_NAMES}
    )
    # PostgreSQL imports: the rows as COPY text instead (the row lists are then empty).
    text: CopyText | None = None
    # Ship groups (category 6), sent along when an unpiloted ship's padding is to decide.
    ship_groups: tuple[int, ...] = ()

    @property
    def killmail_ids(self) -> list[int]:
        """The ids, in storage order."""
        return [facts.killmail_id for facts in self.facts]

    def __len__(self) -> int:
        return len(self.facts)


@dataclass
class BatchRows:
    """Everything a batch writes, plus what it tells the world."""

    killmails: list[Row]
    attackers: list[Row]
    items: list[Row]
    counters: Counters
    referenced: dict[str, set[int]]
    created: list[tuple[int, int]]
    events: list[KillmailCreated]
    # Killmail, attacker and item rows as COPY text, when the batch was prepared so.
    text: tuple[bytes, bytes, bytes] | None = None


def sqlite_time(value: datetime) -> str:
    """A datetime in the text form SQLAlchemy's SQLite DATETIME stores and reads."""
    # SQLAlchemy's SQLite DATETIME storage format (naive UTC, microseconds), see UtcDateTime.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def price_keys(killmails: Sequence[ParsedKillmail]) -> tuple[set[int], set[date]]:
    """The type ids and days whose prices value these killmails."""
    type_ids: set[int] = set()
    days: set[date] = set()

    def add_items(lines: tuple[ItemLine, ...]) -> None:
        for line in lines:
            type_ids.add(line.item_type_id)
            if line.items:
                add_items(line.items)

    for killmail in killmails:
        type_ids.add(killmail.victim.ship_type_id)
        add_items(killmail.victim.items)
        days.add(killmail.killmail_time.date())
    return type_ids, days


def unique(killmails: Sequence[ParsedKillmail]) -> tuple[list[ParsedKillmail], list[int]]:
    """The first of each killmail id in a batch, and the ids seen again."""
    seen: set[int] = set()
    first: list[ParsedKillmail] = []
    again: list[int] = []
    for killmail in killmails:
        if killmail.killmail_id in seen:
            again.append(killmail.killmail_id)
            continue
        seen.add(killmail.killmail_id)
        first.append(killmail)
    return first, again


def storage_order(killmails: Iterable[ParsedKillmail]) -> list[ParsedKillmail]:
    """Killmails in the order they get their sequences: by time, then id."""
    return sorted(killmails, key=lambda k: (k.killmail_time, k.killmail_id))


def count(counters: Counters, facts: Facts) -> None:
    """Add one killmail's kills, losses, ISK and points to the daily counters."""
    day = facts.killmail_time.date()
    total = facts.total_value or 0.0
    points = facts.points or 0
    for kind, entity_id in zip(COUNTED_KINDS, facts.victim, strict=True):
        if entity_id is not None:
            key = (kind, entity_id, day)
            entry = counters.get(key)
            if entry is None:
                entry = counters[key] = [0, 0, 0.0, 0.0, 0]
            entry[1] += 1
            entry[3] += total
    for kind, ids in zip(COUNTED_KINDS, facts.attackers, strict=True):
        for entity_id in ids:
            key = (kind, entity_id, day)
            entry = counters.get(key)
            if entry is None:
                entry = counters[key] = [0, 0, 0.0, 0.0, 0]
            entry[0] += 1
            entry[2] += total
            entry[4] += points


def _distinct(values: Iterable[int | None]) -> Ids:
    return tuple(sorted({value for value in values if value is not None}))


def prepare(
    killmails: Sequence[ParsedKillmail],
    book: PriceBook,
    universe: StaticUniverse,
    *,
    sqlite: bool,
    text: bool = False,
) -> PreparedBatch:
    """Value, derive and lay out killmails, in storage order (unique ids expected).

    Rows are in the dialect's storage form (SQLite: times as text, booleans as 0/1),
    labels as JSON text, so writers pass them straight to the driver. `text` (PostgreSQL
    only): each killmail's rows become COPY text at once, and the row lists stay empty.
    """
    assert not (text and sqlite), "COPY text is PostgreSQL's form"
    batch = PreparedBatch(sqlite=sqlite)
    copy_text = batch.text = CopyText([], [], []) if text else None
    killmail_rows = batch.killmails
    attacker_rows = batch.attackers
    item_rows = batch.items
    attacker_ends = batch.attacker_ends
    item_ends = batch.item_ends
    all_facts = batch.facts
    counters = batch.counters
    referenced = batch.referenced
    characters, corporations, alliances, types, systems = (
        referenced["character"],
        referenced["corporation"],
        referenced["alliance"],
        referenced["type"],
        referenced["solar_system"],
    )
    dumps = json.dumps
    for killmail in storage_order(killmails):
        flat = flat_items(killmail.victim.items)
        valuation = value(killmail, book, universe, flat)
        derived = derive(killmail, universe, valuation.total_value)
        victim = killmail.victim
        position = victim.position
        time = killmail.killmail_time
        stored_time: Any = sqlite_time(time) if sqlite else time
        zkb = killmail.zkb
        killmail_rows.append(
            (
                killmail.killmail_id,
                killmail.killmail_hash,
                stored_time,
                killmail.solar_system_id,
                derived.constellation_id,
                derived.region_id,
                derived.security,
                killmail.moon_id,
                killmail.war_id,
                zkb.location_id if zkb else None,
                victim.character_id,
                victim.corporation_id,
                victim.alliance_id,
                victim.faction_id,
                victim.ship_type_id,
                derived.victim_ship_group_id,
                victim.damage_taken,
                position.x if position else None,
                position.y if position else None,
                position.z if position else None,
                derived.attacker_count,
                derived.final_blow_character_id,
                valuation.fitted_value,
                valuation.dropped_value,
                valuation.destroyed_value,
                valuation.total_value,
                derived.points,
                int(derived.npc) if sqlite else derived.npc,
                int(derived.solo) if sqlite else derived.solo,
                int(derived.awox) if sqlite else derived.awox,
                dumps(derived.labels),
                valuation.value_source,
                killmail.source,
            )
        )
        kid = killmail.killmail_id
        attackers = killmail.attackers
        attacker_rows.extend(
            (
                kid,
                index,
                stored_time,
                a.character_id,
                a.corporation_id,
                a.alliance_id,
                a.faction_id,
                a.ship_type_id,
                a.weapon_type_id,
                a.damage_done,
                int(a.final_blow) if sqlite else a.final_blow,
                a.security_status,
            )
            for index, a in enumerate(attackers)
        )
        attacker_ends.append(len(attacker_rows))
        unit_values = valuation.unit_values
        item_rows.extend(
            (
                kid,
                pos,
                parent,
                line.item_type_id,
                line.flag,
                line.singleton,
                line.quantity_destroyed,
                line.quantity_dropped,
                unit_values[pos],
            )
            for pos, parent, line in flat
        )
        item_ends.append(len(item_rows))
        if copy_text is not None:
            copy_text.killmails.append(copy_line(killmail_rows[-1]).encode())
            copy_text.attackers.append(copy_lines(attacker_rows))
            copy_text.items.append(copy_lines(item_rows))
            killmail_rows.clear()
            attacker_rows.clear()
            item_rows.clear()
        attacker_characters = _distinct(a.character_id for a in attackers)
        attacker_corporations = _distinct(a.corporation_id for a in attackers)
        attacker_alliances = _distinct(a.alliance_id for a in attackers)
        facts = Facts(
            killmail_id=kid,
            killmail_time=time,
            solar_system_id=killmail.solar_system_id,
            region_id=derived.region_id,
            victim_ship_type_id=victim.ship_type_id,
            victim=(
                victim.character_id,
                victim.corporation_id,
                victim.alliance_id,
                victim.faction_id,
            ),
            attackers=(
                attacker_characters,
                attacker_corporations,
                attacker_alliances,
                _distinct(a.faction_id for a in attackers),
            ),
            total_value=valuation.total_value,
            points=derived.points,
            pad_key=derived.pad_key,
        )
        all_facts.append(facts)
        count(counters, facts)
        characters.update(attacker_characters)
        corporations.update(attacker_corporations)
        alliances.update(attacker_alliances)
        types.update(a.ship_type_id for a in attackers if a.ship_type_id is not None)
        types.update(a.weapon_type_id for a in attackers if a.weapon_type_id is not None)
        if victim.character_id is not None:
            characters.add(victim.character_id)
        if victim.corporation_id is not None:
            corporations.add(victim.corporation_id)
        if victim.alliance_id is not None:
            alliances.add(victim.alliance_id)
        types.add(victim.ship_type_id)
        systems.add(killmail.solar_system_id)
        types.update(line.item_type_id for _position, _parent, line in flat)
    if copy_text is not None:
        attacker_ends.clear()
        item_ends.clear()
    if any(facts.pad_key == UNPILOTED_PAD_KEY for facts in all_facts):
        batch.ship_groups = _ship_groups(universe)
    return batch


def _ship_groups(universe: StaticUniverse) -> tuple[int, ...]:
    return tuple(sorted(g for g, group in universe.groups.items() if group.category_id == 6))


LABELS_AT = 30  # the labels column of a prepared killmail row (asserted by the repository)


def mark_padded(batch: PreparedBatch, padded: Sequence[int]) -> None:
    """Give the killmails at these positions zKillboard's `padding` label (and no `pvp`)."""
    for i in padded:
        if batch.text is not None:
            fields = batch.text.killmails[i].split(b"\t")
            # Labels are plain strings: their JSON needs no COPY escaping.
            labels = json.loads(fields[LABELS_AT])
            fields[LABELS_AT] = json.dumps(with_padding(labels)).encode()
            batch.text.killmails[i] = b"\t".join(fields)
        else:
            row = list(batch.killmails[i])
            row[LABELS_AT] = json.dumps(with_padding(json.loads(row[LABELS_AT])))
            batch.killmails[i] = tuple(row)


def _finish_text(
    batch: PreparedBatch, text: CopyText, keep: list[int], sequences: range, now: datetime
) -> tuple[bytes, bytes, bytes]:
    everything = len(keep) == len(batch.facts)
    return (
        text.killmail_lines(keep, sequences, now),
        b"".join(text.attackers if everything else [text.attackers[i] for i in keep]),
        b"".join(text.items if everything else [text.items[i] for i in keep]),
    )


def finish(
    batch: PreparedBatch, stored: set[int], *, first_sequence: int, now: datetime
) -> BatchRows:
    """The rows of the killmails not in `stored`, with sequences from `first_sequence`.

    Counters are recounted when some killmails drop out; referenced ids stay those of the
    whole batch (a dropped killmail is stored already, so its references are real).
    """
    stored_now: Any = sqlite_time(now) if batch.sqlite else now
    text = batch.text
    if stored:
        keep = [i for i, facts in enumerate(batch.facts) if facts.killmail_id not in stored]
        counters: Counters = {}
        for i in keep:
            count(counters, batch.facts[i])
        kept_facts = [batch.facts[i] for i in keep]
    else:
        keep = list(range(len(batch.facts)))
        counters = batch.counters
        kept_facts = batch.facts
    sequences = range(first_sequence, first_sequence + len(kept_facts))
    if text is not None:
        killmail_rows: list[Row] = []
        attacker_rows: list[Row] = []
        item_rows: list[Row] = []
        sequences_of_rows = range(0)
    elif stored:
        killmail_rows = [batch.killmails[i] for i in keep]
        attacker_rows = []
        item_rows = []
        for i in keep:
            attacker_rows.extend(
                batch.attackers[batch.attacker_ends[i - 1] if i else 0 : batch.attacker_ends[i]]
            )
            item_rows.extend(batch.items[batch.item_ends[i - 1] if i else 0 : batch.item_ends[i]])
    else:
        killmail_rows, attacker_rows, item_rows = batch.killmails, batch.attackers, batch.items
    if text is None:
        sequences_of_rows = sequences
    return BatchRows(
        text=None if text is None else _finish_text(batch, text, keep, sequences, now),
        killmails=[
            (*row, sequence, stored_now)
            for row, sequence in zip(killmail_rows, sequences_of_rows, strict=True)
        ],
        attackers=attacker_rows,
        items=item_rows,
        counters=counters,
        referenced=batch.referenced,
        created=[
            (facts.killmail_id, sequence)
            for facts, sequence in zip(kept_facts, sequences, strict=True)
        ],
        events=[
            KillmailCreated(
                killmail_id=facts.killmail_id,
                sequence=sequence,
                killmail_time=facts.killmail_time,
                solar_system_id=facts.solar_system_id,
                region_id=facts.region_id,
                victim_character_id=facts.victim[0],
                victim_corporation_id=facts.victim[1],
                victim_alliance_id=facts.victim[2],
                victim_ship_type_id=facts.victim_ship_type_id,
                attacker_character_ids=facts.attackers[0],
                attacker_corporation_ids=facts.attackers[1],
                attacker_alliance_ids=facts.attackers[2],
                total_value=facts.total_value,
            )
            for facts, sequence in zip(kept_facts, sequences, strict=True)
        ],
    )


def build_rows(
    killmails: Sequence[ParsedKillmail],
    book: PriceBook,
    universe: StaticUniverse,
    *,
    first_sequence: int,
    now: datetime,
    sqlite: bool = False,
) -> BatchRows:
    """Prepare and finish new killmails in one step; sequences start at `first_sequence`."""
    batch = prepare(killmails, book, universe, sqlite=sqlite)
    return finish(batch, set(), first_sequence=first_sequence, now=now)
