"""GraphQL inputs and enums of killmail lists, turned into the feature's KillmailFilter."""

from __future__ import annotations

from datetime import datetime

import strawberry

from killreport.api.graphql.errors import client_error
from killreport.killmails.filters import (
    KillmailFilter,
    KillmailOrder,
    ParticipantFilter,
    SecuritySpace,
)
from killreport.killmails.slots import SlotKind

SecuritySpaceEnum = strawberry.enum(SecuritySpace, name="SecuritySpace")
KillmailOrderEnum = strawberry.enum(KillmailOrder, name="KillmailOrder")
SlotKindEnum = strawberry.enum(SlotKind, name="SlotKind")


def parse_id(value: strawberry.ID | str, what: str = "id") -> int:
    """An EVE id from a GraphQL ID; a BAD_USER_INPUT error when it is not a positive integer."""
    text = str(value)
    if not text.isdigit() or len(text) > 19:
        raise client_error(f"{what} must be a positive integer id, got {text!r}")
    return int(text)


def parse_ids(values: list[strawberry.ID] | None, what: str) -> tuple[int, ...]:
    """A tuple of EVE ids from a GraphQL list of IDs (empty when not given)."""
    return tuple(parse_id(v, what) for v in values or ())


@strawberry.input(
    name="ParticipantFilter",
    description="Conditions on one participant; all given fields hold together.",
)
class ParticipantFilterInput:
    character_ids: list[strawberry.ID] | None = None
    corporation_ids: list[strawberry.ID] | None = None
    alliance_ids: list[strawberry.ID] | None = None
    faction_ids: list[strawberry.ID] | None = None
    ship_type_ids: list[strawberry.ID] | None = None
    ship_group_ids: list[strawberry.ID] | None = None

    def to_filter(self) -> ParticipantFilter:
        """The feature's ParticipantFilter."""
        return ParticipantFilter(
            character_ids=parse_ids(self.character_ids, "characterIds"),
            corporation_ids=parse_ids(self.corporation_ids, "corporationIds"),
            alliance_ids=parse_ids(self.alliance_ids, "allianceIds"),
            faction_ids=parse_ids(self.faction_ids, "factionIds"),
            ship_type_ids=parse_ids(self.ship_type_ids, "shipTypeIds"),
            ship_group_ids=parse_ids(self.ship_group_ids, "shipGroupIds"),
        )


@strawberry.input(
    name="KillmailFilter",
    description="Killmail conditions; lists mean any of, fields all of. since inclusive, "
    "until exclusive; labels must all be present.",
)
class KillmailFilterInput:
    involved: ParticipantFilterInput | None = None
    victim: ParticipantFilterInput | None = None
    attacker: ParticipantFilterInput | None = None
    solar_system_ids: list[strawberry.ID] | None = None
    constellation_ids: list[strawberry.ID] | None = None
    region_ids: list[strawberry.ID] | None = None
    security_space: list[SecuritySpaceEnum] | None = None  # type: ignore[valid-type]
    min_value: float | None = None
    max_value: float | None = None
    min_attackers: int | None = None
    max_attackers: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    solo: bool | None = None
    npc: bool | None = None
    awox: bool | None = None
    labels: list[str] | None = None

    def to_filter(self) -> KillmailFilter:
        """The feature's KillmailFilter; BAD_USER_INPUT on naive datetimes."""
        for name, moment in (("since", self.since), ("until", self.until)):
            if moment is not None and moment.tzinfo is None:
                raise client_error(f"{name} needs a time zone (e.g. 2026-01-01T00:00:00Z)")
        return KillmailFilter(
            involved=self.involved.to_filter() if self.involved else None,
            victim=self.victim.to_filter() if self.victim else None,
            attacker=self.attacker.to_filter() if self.attacker else None,
            solar_system_ids=parse_ids(self.solar_system_ids, "solarSystemIds"),
            constellation_ids=parse_ids(self.constellation_ids, "constellationIds"),
            region_ids=parse_ids(self.region_ids, "regionIds"),
            security_space=tuple(SecuritySpace(s) for s in self.security_space or ()),
            min_value=self.min_value,
            max_value=self.max_value,
            min_attackers=self.min_attackers,
            max_attackers=self.max_attackers,
            since=self.since,
            until=self.until,
            solo=self.solo,
            npc=self.npc,
            awox=self.awox,
            labels=tuple(self.labels or ()),
        )


def to_filter(value: KillmailFilterInput | None) -> KillmailFilter:
    """The filter of an optional input (everything when absent)."""
    return value.to_filter() if value is not None else KillmailFilter()
