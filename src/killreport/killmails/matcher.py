"""The in-memory twin of the SQL filter: does one killmail match a KillmailFilter?

Live subscriptions use it on new killmails; a hypothesis test holds it equal to the SQL
that `queries.list_killmails` runs.
"""

from __future__ import annotations

from killreport.killmails.detail import AttackerDetail, KillmailDetail
from killreport.killmails.filters import KillmailFilter, ParticipantFilter


def _in(value: int | None, allowed: tuple[int, ...]) -> bool:
    return not allowed or (value is not None and value in allowed)


def _victim_matches(participant: ParticipantFilter, killmail: KillmailDetail) -> bool:
    return (
        _in(killmail.victim_character_id, participant.character_ids)
        and _in(killmail.victim_corporation_id, participant.corporation_ids)
        and _in(killmail.victim_alliance_id, participant.alliance_ids)
        and _in(killmail.victim_faction_id, participant.faction_ids)
        and _in(killmail.victim_ship_type_id, participant.ship_type_ids)
        and _in(killmail.victim_ship_group_id, participant.ship_group_ids)
    )


def _attacker_matches(participant: ParticipantFilter, attacker: AttackerDetail) -> bool:
    return (
        _in(attacker.character_id, participant.character_ids)
        and _in(attacker.corporation_id, participant.corporation_ids)
        and _in(attacker.alliance_id, participant.alliance_ids)
        and _in(attacker.faction_id, participant.faction_ids)
        and _in(attacker.ship_type_id, participant.ship_type_ids)
        and _in(attacker.ship_group_id, participant.ship_group_ids)
    )


def _any_attacker(participant: ParticipantFilter, killmail: KillmailDetail) -> bool:
    return any(_attacker_matches(participant, a) for a in killmail.attackers)


def matches(filter: KillmailFilter, killmail: KillmailDetail) -> bool:
    """True when the killmail meets every condition of the filter."""
    f = filter
    if f.victim is not None and not _victim_matches(f.victim, killmail):
        return False
    if f.attacker is not None and not _any_attacker(f.attacker, killmail):
        return False
    if f.involved is not None and not (
        _victim_matches(f.involved, killmail) or _any_attacker(f.involved, killmail)
    ):
        return False
    if not (
        _in(killmail.solar_system_id, f.solar_system_ids)
        and _in(killmail.constellation_id, f.constellation_ids)
        and _in(killmail.region_id, f.region_ids)
    ):
        return False
    if f.security_space and killmail.security_space not in f.security_space:
        return False
    value = killmail.total_value
    if f.min_value is not None and (value is None or value < f.min_value):
        return False
    if f.max_value is not None and (value is None or value > f.max_value):
        return False
    if f.min_attackers is not None and killmail.attacker_count < f.min_attackers:
        return False
    if f.max_attackers is not None and killmail.attacker_count > f.max_attackers:
        return False
    if f.since is not None and killmail.killmail_time < f.since:
        return False
    if f.until is not None and killmail.killmail_time >= f.until:
        return False
    for flag, wanted in (("solo", f.solo), ("npc", f.npc), ("awox", f.awox)):
        if wanted is not None and getattr(killmail, flag) is not wanted:
            return False
    return all(label in killmail.labels for label in f.labels)
