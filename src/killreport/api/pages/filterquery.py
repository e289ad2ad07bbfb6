"""A KillmailFilter as a URL query and back, so a filtered list is a link; and as GraphQL input.

The query names are the GraphQL input's field names: top-level fields as they are
(`solarSystemIds=30000142`, `securitySpace=NULLSEC`, `minValue=1e9`), participant fields
prefixed by their role (`victimAllianceIds=99000001`, `attackerShipGroupIds=419`). Id
lists may repeat the parameter or separate ids by commas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final
from urllib.parse import urlencode

from killreport.killmails.filters import (
    KillmailFilter,
    KillmailOrder,
    ParticipantFilter,
    SecuritySpace,
)

ROLES: Final = ("involved", "victim", "attacker")
# (dataclass field, GraphQL/URL name, form label) of ParticipantFilter.
PARTICIPANT_FIELDS: Final = (
    ("character_ids", "CharacterIds", "Character ids"),
    ("corporation_ids", "CorporationIds", "Corporation ids"),
    ("alliance_ids", "AllianceIds", "Alliance ids"),
    ("faction_ids", "FactionIds", "Faction ids"),
    ("ship_type_ids", "ShipTypeIds", "Ship type ids"),
    ("ship_group_ids", "ShipGroupIds", "Ship group ids"),
)
LOCATION_FIELDS: Final = (
    ("solar_system_ids", "solarSystemIds", "Solar system ids"),
    ("constellation_ids", "constellationIds", "Constellation ids"),
    ("region_ids", "regionIds", "Region ids"),
)
NUMBER_FIELDS: Final = (
    ("min_value", "minValue", "Min value (ISK)", float),
    ("max_value", "maxValue", "Max value (ISK)", float),
    ("min_attackers", "minAttackers", "Min attackers", int),
    ("max_attackers", "maxAttackers", "Max attackers", int),
)
TIME_FIELDS: Final = (("since", "since", "Since (UTC)"), ("until", "until", "Until (UTC)"))
FLAG_FIELDS: Final = (("solo", "solo", "Solo"), ("npc", "npc", "NPC"), ("awox", "awox", "Awox"))


class FilterQueryError(ValueError):
    """A query parameter has a value the filter cannot take; the message names it."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What a killmail list URL asks for: the filter, the order and the page cursor."""

    filter: KillmailFilter
    order: KillmailOrder = KillmailOrder.TIME_DESC
    after: str | None = None


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    return [part.strip() for raw in params.get(name, ()) for part in raw.split(",") if part.strip()]


def _ids(params: Mapping[str, Sequence[str]], name: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(value) for value in _values(params, name))
    except ValueError as exc:
        raise FilterQueryError(f"{name}: ids are whole numbers separated by commas") from exc
    if any(value <= 0 for value in ids):
        raise FilterQueryError(f"{name}: ids are positive")
    return ids


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [value.strip() for value in params.get(name, ()) if value.strip()]
    return values[-1] if values else None


def _moment(value: str, name: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise FilterQueryError(f"{name}: a date (2026-12-01) or date and time") from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _flag(value: str, name: str) -> bool:
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise FilterQueryError(f"{name}: true or false")


def parse_list_query(params: Mapping[str, Sequence[str]]) -> ListQuery:
    """Read a killmail list's filter, order and cursor from URL parameters."""
    roles: dict[str, ParticipantFilter | None] = {}
    for role in ROLES:
        fields = {attr: _ids(params, role + suffix) for attr, suffix, _ in PARTICIPANT_FIELDS}
        participant = ParticipantFilter(**fields)
        roles[role] = None if participant.is_empty else participant
    values: dict[str, Any] = dict(roles)
    for attr, name, _ in LOCATION_FIELDS:
        values[attr] = _ids(params, name)
    try:
        values["security_space"] = tuple(
            SecuritySpace(value.upper()) for value in _values(params, "securitySpace")
        )
    except ValueError as exc:
        names = ", ".join(SecuritySpace)
        raise FilterQueryError(f"securitySpace: one of {names}") from exc
    for attr, name, _, kind in NUMBER_FIELDS:
        raw = _one(params, name)
        try:
            values[attr] = None if raw is None else kind(raw)
        except ValueError as exc:
            raise FilterQueryError(f"{name}: a number") from exc
    for attr, name, _ in TIME_FIELDS:
        raw = _one(params, name)
        values[attr] = None if raw is None else _moment(raw, name)
    for attr, name, _ in FLAG_FIELDS:
        raw = _one(params, name)
        values[attr] = None if raw is None else _flag(raw.lower(), name)
    values["labels"] = tuple(_values(params, "labels"))
    order_raw = _one(params, "orderBy")
    try:
        order = KillmailOrder(order_raw) if order_raw else KillmailOrder.TIME_DESC
    except ValueError as exc:
        raise FilterQueryError(f"orderBy: one of {', '.join(KillmailOrder)}") from exc
    return ListQuery(KillmailFilter(**values), order, _one(params, "after"))


def _time_text(moment: datetime) -> str:
    if moment.time() == time():
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M")


def query_pairs(query: ListQuery, *, after: str | None = None) -> list[tuple[str, str]]:
    """The URL parameters of a list query (the cursor replaced by `after`)."""
    killmail_filter = query.filter
    pairs: list[tuple[str, str]] = []
    for role in ROLES:
        participant: ParticipantFilter | None = getattr(killmail_filter, role)
        if participant is None:
            continue
        for attr, suffix, _ in PARTICIPANT_FIELDS:
            ids = getattr(participant, attr)
            if ids:
                pairs.append((role + suffix, ",".join(map(str, ids))))
    for attr, name, _ in LOCATION_FIELDS:
        ids = getattr(killmail_filter, attr)
        if ids:
            pairs.append((name, ",".join(map(str, ids))))
    pairs.extend(("securitySpace", str(space)) for space in killmail_filter.security_space)
    for attr, name, _, _kind in NUMBER_FIELDS:
        value = getattr(killmail_filter, attr)
        if value is not None:
            pairs.append((name, f"{value:g}" if isinstance(value, float) else str(value)))
    for attr, name, _ in TIME_FIELDS:
        moment = getattr(killmail_filter, attr)
        if moment is not None:
            pairs.append((name, _time_text(moment)))
    for attr, name, _ in FLAG_FIELDS:
        flag = getattr(killmail_filter, attr)
        if flag is not None:
            pairs.append((name, "true" if flag else "false"))
    if killmail_filter.labels:
        pairs.append(("labels", ",".join(killmail_filter.labels)))
    if query.order is not KillmailOrder.TIME_DESC:
        pairs.append(("orderBy", str(query.order)))
    if after:
        pairs.append(("after", after))
    return pairs


def query_string(query: ListQuery, *, after: str | None = None) -> str:
    """The encoded URL query of a list query ('' for the unfiltered first page)."""
    return urlencode(query_pairs(query, after=after))


def form_values(query: ListQuery) -> dict[str, str]:
    """The form's input values by parameter name (what the filter form shows filled in)."""
    values: dict[str, str] = {}
    for name, value in query_pairs(query):
        values[name] = f"{values[name]},{value}" if name in values else value
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def graphql_filter(killmail_filter: KillmailFilter) -> dict[str, Any]:
    """The filter as the GraphQL `KillmailFilter` input (ids as strings, unset fields left out)."""
    out: dict[str, Any] = {}
    for item in dataclasses.fields(killmail_filter):
        value = getattr(killmail_filter, item.name)
        if value is None or value == ():
            continue
        if isinstance(value, ParticipantFilter):
            out[_camel(item.name)] = {
                _camel(attr): [str(i) for i in getattr(value, attr)]
                for attr, _, _ in PARTICIPANT_FIELDS
                if getattr(value, attr)
            }
        elif item.name.endswith("_ids"):
            out[_camel(item.name)] = [str(i) for i in value]
        elif isinstance(value, datetime):
            out[_camel(item.name)] = value.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif isinstance(value, tuple):
            out[_camel(item.name)] = [str(v) for v in value]
        else:
            out[_camel(item.name)] = value
    return out
