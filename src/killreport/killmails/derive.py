"""Fields derived at ingest: map location, EVE's displayed security, npc/solo/awox, labels.

Rules follow zKillboard (`cron/3.queueProcess.php`, esi-facts §8d) so our flags mean
what players know from zKillboard; the zkb block's own flags win when a source has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from killreport.killmails.models import Derived, ParsedKillmail
from killreport.universe.static import StaticUniverse

# zKillboard's player test: NPC characters are below 4,000,000, NPC corporations below 2,000,000.
MAX_NPC_CHARACTER_ID = 3_999_999
MAX_NPC_CORPORATION_ID = 1_999_999

SHIP_CATEGORY_ID = 6
STRUCTURE_CATEGORY_ID = 65
# Rookie ships, shuttles and capsules never make a kill solo (zKillboard).
NOT_SOLO_GROUP_IDS = frozenset({29, 31, 237})
# Titans, dreadnoughts, carriers, supercarriers, capital industrials (Rorqual), force
# auxiliaries and lancer dreadnoughts: the market's capital ships, zKillboard's `capital`.
CAPITAL_GROUP_IDS = frozenset({30, 485, 547, 659, 883, 1538, 4594})

WORMHOLE_SYSTEMS = range(31_000_000, 32_000_000)
ABYSSAL_SYSTEMS = range(32_000_000, 33_000_000)
DRIFTER_REGION_ID = 11_000_033

# UTC hour bands of zKillboard's prime-time labels (start hour inclusive, end exclusive).
TIMEZONE_BANDS = (("tz:usw", 4, 8), ("tz:au", 8, 14), ("tz:ru", 14, 17), ("tz:eu", 17, 22))

# `#:` labels: one bucket per killmail, the largest lower bound reached.
ATTACKER_BUCKETS = ((1000, "#:1000+"), (100, "#:100+"), (50, "#:50+"), (25, "#:25+"),
                    (10, "#:10+"), (5, "#:5+"), (2, "#:2+"), (1, "#:1"))  # fmt: skip
ISK_BUCKETS = ((1e12, "isk:1t+"), (1e11, "isk:100b+"), (1e10, "isk:10b+"), (5e9, "isk:5b+"),
               (1e9, "isk:1b+"))  # fmt: skip

TENTH = Decimal("0.1")

SHUTTLE_GROUP_ID = 31
# zKillboard's padding: a kill whose pad key (victim, final blow, ship, 15 minutes; for a
# shuttle the victim, place and hour; any unpiloted ship alike) is stored this often.
PADDING_SEEN = 2
PAD_BUCKET_S = 900
SHUTTLE_PAD_BUCKET_S = 3600
UNPILOTED_PAD_KEY = "unpiloted"


def displayed_security(true_security: float) -> float:
    """Security as EVE shows it: one decimal, half up (0.45 -> 0.5), and 0 < s < 0.05 -> 0.1.

    The client never shows a system with positive true security as 0.0: such systems are
    lowsec, so anything above zero that would round to 0.0 is shown as 0.1.
    """
    rounded = float(Decimal(repr(true_security)).quantize(TENTH, rounding=ROUND_HALF_UP))
    if true_security > 0.0 and rounded <= 0.0:
        return 0.1
    return rounded


def security_class(system_id: int, region_id: int | None, displayed: float | None) -> str | None:
    """highsec / lowsec / nullsec / w-space / drifter / abyssal, as zKillboard's loc: labels."""
    if system_id in ABYSSAL_SYSTEMS:
        return "abyssal"
    if system_id in WORMHOLE_SYSTEMS:
        return "drifter" if region_id == DRIFTER_REGION_ID else "w-space"
    if displayed is None:
        return None
    if displayed >= 0.5:
        return "highsec"
    if displayed > 0.0:
        return "lowsec"
    return "nullsec"


def is_player_character(character_id: int | None) -> bool:
    """True for a player character id (NPC characters have small ids)."""
    return character_id is not None and character_id > MAX_NPC_CHARACTER_ID


def is_player_corporation(corporation_id: int | None) -> bool:
    """True for a player corporation id (NPC corporations have small ids)."""
    return corporation_id is not None and corporation_id > MAX_NPC_CORPORATION_ID


def _timezone_label(hour: int) -> str:
    for label, start, end in TIMEZONE_BANDS:
        if start <= hour < end:
            return label
    return "tz:use"


def _bucket(value: float, buckets: tuple[tuple[float, str], ...]) -> str | None:
    for bound, label in buckets:
        if value >= bound:
            return label
    return None


# The static snapshot is one per process, so the answer is remembered per type id.
_structure_types: dict[int, bool] = {}


def _is_structure(type_id: int, universe: StaticUniverse) -> bool:
    found = _structure_types.get(type_id)
    if found is None:
        category = universe.category_of_type(type_id)
        found = _structure_types[type_id] = category == STRUCTURE_CATEGORY_ID
    return found


# One snapshot per process: each system's displayed security is computed once.
_displayed: dict[int, float] = {}


def _displayed_security(system_id: int, true_security: float) -> float:
    found = _displayed.get(system_id)
    if found is None:
        found = _displayed[system_id] = displayed_security(true_security)
    return found


def pad_key(
    *,
    victim_character_id: int | None,
    final_blow_character_id: int | None,
    ship_type_id: int,
    ship_group_id: int | None,
    place_id: int,
    epoch_s: int,
) -> str:
    """zKillboard's pad hash of a player-attacked ship kill, from stored columns.

    The same killmail gives the same key whether just parsed or read back from the
    database (`place_id`: the location, else the solar system).
    """
    if victim_character_id is None:
        return UNPILOTED_PAD_KEY
    if ship_group_id == SHUTTLE_GROUP_ID:
        hour = epoch_s - epoch_s % SHUTTLE_PAD_BUCKET_S
        return f"{victim_character_id}:{SHUTTLE_GROUP_ID}:{place_id}:{hour}"
    bucket = epoch_s - epoch_s % PAD_BUCKET_S
    return f"{victim_character_id}:{final_blow_character_id or 0}:{ship_type_id}:{bucket}"


def with_padding(labels: Sequence[str]) -> list[str]:
    """Labels of a kill found padded: `padding` (after the time zone), and no `pvp`."""
    marked = [label for label in labels if label not in ("pvp", "padding")]
    marked.insert(1 if marked and marked[0].startswith("tz:") else 0, "padding")
    return marked


def derive(
    killmail: ParsedKillmail, universe: StaticUniverse, total_value: float | None
) -> Derived:
    """Compute every derived field from the killmail, the static snapshot and its value."""
    system = universe.systems.get(killmail.solar_system_id)
    constellation = universe.constellations.get(system.constellation_id) if system else None
    region_id = constellation.region_id if constellation else None
    security = (
        _displayed_security(killmail.solar_system_id, system.security_status) if system else None
    )
    victim = killmail.victim
    ship_group_id = universe.group_of_type(victim.ship_type_id)
    ship_category_id = universe.category_of_type(victim.ship_type_id)

    attackers = killmail.attackers
    players = [
        a
        for a in attackers
        if is_player_character(a.character_id) or is_player_corporation(a.corporation_id)
    ]
    final_blow = next((a for a in attackers if a.final_blow), None)
    structure_attacker = any(
        _is_structure(ship, universe) for ship in {a.ship_type_id for a in attackers} if ship
    )
    npc = not players or (
        victim.character_id is None and not is_player_corporation(victim.corporation_id)
    )
    player_characters = [a for a in attackers if is_player_character(a.character_id)]
    solo = (
        not npc
        and ship_category_id == SHIP_CATEGORY_ID
        and ship_group_id not in NOT_SOLO_GROUP_IDS
        and len(player_characters) == 1
        and not structure_attacker
    )
    awox = (
        not npc
        and final_blow is not None
        and is_player_corporation(victim.corporation_id)
        and final_blow.corporation_id == victim.corporation_id
        and is_player_character(final_blow.character_id)
    )
    zkb = killmail.zkb
    if zkb is not None:
        npc = zkb.npc if zkb.npc is not None else npc
        solo = zkb.solo if zkb.solo is not None else solo
        awox = zkb.awox if zkb.awox is not None else awox
    # Points need dogma (rig size, module danger): we keep zKillboard's when the source has
    # them, and zKillboard's own rule that an NPC kill is worth 1; otherwise none.
    points = zkb.points if zkb is not None and zkb.points is not None else (1 if npc else None)

    key = None
    if zkb is not None and zkb.labels is not None:
        labels = tuple(zkb.labels)
    else:
        if not npc and ship_category_id == SHIP_CATEGORY_ID:
            key = pad_key(
                victim_character_id=victim.character_id,
                final_blow_character_id=final_blow.character_id if final_blow else None,
                ship_type_id=victim.ship_type_id,
                ship_group_id=ship_group_id,
                place_id=(zkb.location_id if zkb else None) or killmail.solar_system_id,
                epoch_s=int(killmail.killmail_time.timestamp()),
            )
        labels = _labels(
            killmail,
            attacker_count=len(attackers),
            ship_category_id=ship_category_id,
            ship_group_id=ship_group_id,
            location=security_class(killmail.solar_system_id, region_id, security),
            npc=npc,
            solo=solo,
            awox=awox,
            total_value=total_value,
        )
    return Derived(
        constellation_id=constellation.constellation_id if constellation else None,
        region_id=region_id,
        security=security,
        victim_ship_group_id=ship_group_id,
        victim_ship_category_id=ship_category_id,
        attacker_count=len(attackers),
        final_blow_character_id=final_blow.character_id if final_blow else None,
        npc=npc,
        solo=solo,
        awox=awox,
        points=points,
        labels=labels,
        pad_key=key,
    )


def _labels(
    killmail: ParsedKillmail,
    *,
    attacker_count: int,
    ship_category_id: int | None,
    ship_group_id: int | None,
    location: str | None,
    npc: bool,
    solo: bool,
    awox: bool,
    total_value: float | None,
) -> tuple[str, ...]:
    # zKillboard's order; `padding` (which withholds `pvp`) is decided when the batch is
    # stored, against the killmails stored before it (`with_padding`).
    labels = [_timezone_label(killmail.killmail_time.hour)]
    if ship_category_id is not None:
        labels.append(f"cat:{ship_category_id}")
    if solo:
        labels.append("solo")  # instead of a count label, as zKillboard does
    else:
        count_label = _bucket(attacker_count, ATTACKER_BUCKETS)
        if count_label:
            labels.append(count_label)
    labels.append("npc" if npc else "pvp")
    if awox:
        labels.append("awox")
    if location:
        labels.append(f"loc:{location}")
    if total_value is not None:
        isk_label = _bucket(total_value, ISK_BUCKETS)
        if isk_label:
            labels.append(isk_label)
    if ship_group_id in CAPITAL_GROUP_IDS:
        labels.append("capital")
    return tuple(labels)
