"""zKillboard's API path modifiers, read into a request and compiled to a `KillmailFilter`.

`/api/kills/characterID/5/solo/page/2/` names an entity (or several: they hold on the
same participant, as zKillboard's `$elemMatch` does), flags and numbered values. `kills/`
puts the entities among the attackers, `losses/` on the victim, neither on either.
Every way a path can be wrong raises `ModifierError` with a sentence for the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from killreport.killmails.filters import KillmailFilter, ParticipantFilter, SecuritySpace

PAGE_SIZE = 200
MAX_PAGE = 100
MAX_PAST_SECONDS = 604_800
MAX_ID = 2**63 - 1

# Modifier -> ParticipantFilter field (one table; kills/losses choose the side).
ENTITY_MODIFIERS: dict[str, str] = {
    "characterID": "character_ids",
    "corporationID": "corporation_ids",
    "allianceID": "alliance_ids",
    "factionID": "faction_ids",
    "shipTypeID": "ship_type_ids",
    "groupID": "ship_group_ids",
}
LOCATION_MODIFIERS = frozenset(("solarSystemID", "constellationID", "regionID"))
NUMBER_MODIFIERS = frozenset(
    ("killID", "page", "pastSeconds", "limit", "year", "month", "npc", "awox", "iskValue")
)
TIME_MODIFIERS = frozenset(("startTime", "endTime"))
FLAG_MODIFIERS = frozenset(("kills", "losses", "solo", "w-space"))
# Modifiers zKillboard disabled "because of abuse"; named so the error says so.
DISABLED_MODIFIERS = frozenset(
    ("beforeKillID", "afterKillID", "orderDirection", "no-items", "no-attackers", "xml")
)
_NUMBER = re.compile(r"^[1-9]\d*$")
_TIME_FORMAT = "%Y%m%d%H%M"


class ModifierError(ValueError):
    """A path zKillboard would answer with `{"error": ...}`; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """The modifiers of one zKillboard API path."""

    entities: dict[str, int] = field(default_factory=dict)
    locations: dict[str, int] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()

    @property
    def page(self) -> int:
        """The page asked for (1 when none is)."""
        return self.numbers.get("page", 1)

    @property
    def page_size(self) -> int:
        """Killmails per page: `limit/N/` or zKillboard's 200."""
        return self.numbers.get("limit", PAGE_SIZE)

    @property
    def offset(self) -> int:
        """How many matching killmails come before this page."""
        return (self.page - 1) * self.page_size


def _number(modifier: str, raw: str) -> int:
    if "," in raw:
        raise ModifierError(f"{modifier} takes one value; comma lists are not supported")
    # npc/0/ and awox/0/ are the only values that may be 0.
    if modifier in ("npc", "awox"):
        if raw not in ("0", "1"):
            raise ModifierError(f"{modifier} must be 0 or 1, not {raw[:20]!r}")
        return int(raw)
    if not _NUMBER.match(raw) or int(raw) > MAX_ID:
        raise ModifierError(
            f"invalid value for {modifier}: {raw[:20]!r} (a positive number not starting with 0)"
        )
    return int(raw)


def _time(modifier: str, raw: str) -> datetime:
    try:
        if len(raw) != len("YYYYMMDDHHMM"):
            raise ValueError(raw)
        return datetime.strptime(raw, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise ModifierError(f"{modifier} must be YYYYMMDDHHMM (UTC), not {raw[:20]!r}") from exc


def parse_path(path: str) -> ApiRequest:
    """Read `kills/characterID/5/page/2/` into its modifiers (the path after `/api/`)."""
    parts = [part for part in path.split("/") if part]
    if not parts:
        raise ModifierError("no modifiers given, e.g. /api/kills/characterID/{id}/")
    entities: dict[str, int] = {}
    locations: dict[str, int] = {}
    numbers: dict[str, int] = {}
    times: dict[str, datetime] = {}
    flags: set[str] = set()
    index = 0
    while index < len(parts):
        modifier = parts[index]
        if modifier in FLAG_MODIFIERS:
            flags.add(modifier)
            index += 1
            continue
        if modifier in DISABLED_MODIFIERS:
            raise ModifierError(f"{modifier} is not supported (zKillboard disabled it)")
        known = (ENTITY_MODIFIERS, LOCATION_MODIFIERS, NUMBER_MODIFIERS, TIME_MODIFIERS)
        if not any(modifier in names for names in known):
            raise ModifierError(f"invalid modifier: {modifier[:40]!r}")
        if index + 1 >= len(parts):
            raise ModifierError(f"{modifier} requires a value")
        raw = parts[index + 1]
        if any(modifier in seen for seen in (entities, locations, numbers, times)):
            raise ModifierError(f"{modifier} given twice")
        if modifier in ENTITY_MODIFIERS:
            entities[modifier] = _number(modifier, raw)
        elif modifier in LOCATION_MODIFIERS:
            locations[modifier] = _number(modifier, raw)
        elif modifier in TIME_MODIFIERS:
            times[modifier] = _time(modifier, raw)
        else:
            numbers[modifier] = _number(modifier, raw)
        index += 2
    request = ApiRequest(entities, locations, numbers, times, frozenset(flags))
    _check(request)
    return request


def _check(request: ApiRequest) -> None:
    numbers, flags = request.numbers, request.flags
    if {"kills", "losses"} <= flags:
        raise ModifierError("kills and losses cannot be combined; leave both out for either")
    if "killID" in numbers and (
        request.entities or request.locations or request.times or len(numbers) > 1 or flags
    ):
        raise ModifierError("killID cannot be combined with other modifiers")
    if "page" in numbers and not (request.entities or request.locations):
        raise ModifierError(
            "page requires an entity or location filter (characterID, corporationID, "
            "allianceID, factionID, shipTypeID, groupID, solarSystemID, constellationID, "
            "regionID)"
        )
    if not 1 <= request.page <= MAX_PAGE:
        raise ModifierError(f"page must be between 1 and {MAX_PAGE}")
    if not 1 <= request.page_size <= PAGE_SIZE:
        raise ModifierError(f"limit must be between 1 and {PAGE_SIZE}")
    if numbers.get("pastSeconds", 0) > MAX_PAST_SECONDS:
        raise ModifierError(f"pastSeconds cannot exceed {MAX_PAST_SECONDS}")
    if "month" in numbers and "year" not in numbers:
        raise ModifierError("month requires year")
    if not 1 <= numbers.get("month", 1) <= 12:
        raise ModifierError("month must be between 1 and 12")
    if not 2003 <= numbers.get("year", 2003) <= 9998:
        raise ModifierError("year must be between 2003 and 9998")
    start, end = request.times.get("startTime"), request.times.get("endTime")
    if start is not None and end is not None and end <= start:
        raise ModifierError("endTime must be after startTime")


def _month_bounds(numbers: dict[str, int]) -> tuple[datetime | None, datetime | None]:
    if "year" not in numbers:
        return None, None
    year = numbers["year"]
    if "month" not in numbers:
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    month = numbers["month"]
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _one(values: dict[str, int], name: str) -> tuple[int, ...]:
    return (values[name],) if name in values else ()


def to_filter(request: ApiRequest, now: datetime) -> KillmailFilter:
    """The KillmailFilter of a request (killID aside), with `pastSeconds` counted from now."""
    participant = ParticipantFilter(
        **{ENTITY_MODIFIERS[name]: (value,) for name, value in request.entities.items()}
    )
    chosen = None if participant.is_empty else participant
    kills, losses = "kills" in request.flags, "losses" in request.flags
    numbers = request.numbers
    starts = [request.times.get("startTime"), _month_bounds(numbers)[0]]
    ends = [request.times.get("endTime"), _month_bounds(numbers)[1]]
    if "pastSeconds" in numbers:
        starts.append(now - timedelta(seconds=numbers["pastSeconds"]))
    since = max((s for s in starts if s is not None), default=None)
    until = min((e for e in ends if e is not None), default=None)
    locations = request.locations
    return KillmailFilter(
        involved=chosen if not (kills or losses) else None,
        victim=chosen if losses else None,
        attacker=chosen if kills else None,
        solar_system_ids=_one(locations, "solarSystemID"),
        constellation_ids=_one(locations, "constellationID"),
        region_ids=_one(locations, "regionID"),
        security_space=(SecuritySpace.WORMHOLE,) if "w-space" in request.flags else (),
        min_value=float(numbers["iskValue"]) if "iskValue" in numbers else None,
        since=since,
        until=until,
        solo=True if "solo" in request.flags else None,
        npc=bool(numbers["npc"]) if "npc" in numbers else None,
        awox=bool(numbers["awox"]) if "awox" in numbers else None,
    )
