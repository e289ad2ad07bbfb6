"""The one killmail filter model: compiled to SQL by `queries`, matched in memory by `matcher`.

Security spaces follow EVE's displayed (rounded) security, `derive.displayed_security`,
stored at ingest in `killmails.security`: highsec 0.5 and up, lowsec 0.1-0.4, nullsec
0.0 and below; wormhole, abyssal and Pochven systems are spaces of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from killreport.killmails.derive import ABYSSAL_SYSTEMS, WORMHOLE_SYSTEMS

POCHVEN_REGION_ID = 10_000_070
HIGHSEC_MIN = 0.5


class SecuritySpace(StrEnum):
    """Where a killmail happened, as players name the kinds of space."""

    HIGHSEC = "HIGHSEC"
    LOWSEC = "LOWSEC"
    NULLSEC = "NULLSEC"
    WORMHOLE = "WORMHOLE"
    POCHVEN = "POCHVEN"
    ABYSSAL = "ABYSSAL"


class KillmailOrder(StrEnum):
    """The orders a killmail list can be walked in (each has its keyset cursor)."""

    TIME_DESC = "TIME_DESC"
    TIME_ASC = "TIME_ASC"
    VALUE_DESC = "VALUE_DESC"


def security_space(
    solar_system_id: int, region_id: int | None, security: float | None
) -> SecuritySpace | None:
    """The space of a system from its id, region and displayed security; None when unknown."""
    if solar_system_id in ABYSSAL_SYSTEMS:
        return SecuritySpace.ABYSSAL
    if solar_system_id in WORMHOLE_SYSTEMS:
        return SecuritySpace.WORMHOLE
    if region_id == POCHVEN_REGION_ID:
        return SecuritySpace.POCHVEN
    if security is None:
        return None
    if security >= HIGHSEC_MIN:
        return SecuritySpace.HIGHSEC
    if security > 0.0:
        return SecuritySpace.LOWSEC
    return SecuritySpace.NULLSEC


@dataclass(frozen=True, slots=True)
class ParticipantFilter:
    """Conditions on one participant; all given fields hold together on the same one."""

    character_ids: tuple[int, ...] = ()
    corporation_ids: tuple[int, ...] = ()
    alliance_ids: tuple[int, ...] = ()
    faction_ids: tuple[int, ...] = ()
    ship_type_ids: tuple[int, ...] = ()
    ship_group_ids: tuple[int, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when no field restricts anything."""
        return not (
            self.character_ids
            or self.corporation_ids
            or self.alliance_ids
            or self.faction_ids
            or self.ship_type_ids
            or self.ship_group_ids
        )


@dataclass(frozen=True, slots=True)
class KillmailFilter:
    """Every condition a killmail list can carry; unset fields restrict nothing.

    Lists mean "any of", fields mean "all of". `since` is inclusive, `until` exclusive;
    `min_value`/`max_value` and attacker counts are inclusive; `labels` must all be present.
    """

    involved: ParticipantFilter | None = None
    victim: ParticipantFilter | None = None
    attacker: ParticipantFilter | None = None
    solar_system_ids: tuple[int, ...] = ()
    constellation_ids: tuple[int, ...] = ()
    region_ids: tuple[int, ...] = ()
    security_space: tuple[SecuritySpace, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_attackers: int | None = None
    max_attackers: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    solo: bool | None = None
    npc: bool | None = None
    awox: bool | None = None
    labels: tuple[str, ...] = ()
