"""Entity rows of a page of killmails loaded before its fields resolve, one batch per kind.

A page of 25 killmails asks for ~150 names; loaded up front, each `name` is read from the
loader's cache by a plain (sync) resolver instead of one awaited future per field. Only the
kinds the document's selection can reach are loaded, and only when it asks for a `name`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from strawberry.types import Info

from killreport.killmails.detail import ItemDetail, KillmailDetail
from killreport.stats.entities import EntityKind


def _field_names(
    selections: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> Iterator[str]:
    if selections is None:
        return
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
            yield from _field_names(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            yield from _field_names(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _field_names(fragment.selection_set, fragments, seen | {name})


def wanted_fields(info: Info) -> frozenset[str]:
    """Every field name the current field's selection holds, at any depth."""
    fragments = info._raw_info.fragments
    return frozenset(
        name
        for node in info._raw_info.field_nodes
        for name in _field_names(node.selection_set, fragments)
    )


def _item_types(items: Iterable[ItemDetail]) -> Iterator[int]:
    for item in items:
        yield item.item_type_id
        yield from _item_types(item.children)


def _ids(details: Iterable[KillmailDetail], wanted: frozenset[str]) -> dict[EntityKind, set[int]]:
    ids: dict[EntityKind, set[int]] = {kind: set() for kind in EntityKind}
    lines = bool(wanted & {"attackers", "finalBlow"})
    items = bool(wanted & {"items", "fitting"})
    for d in details:
        ids[EntityKind.SOLAR_SYSTEM].add(d.solar_system_id)
        for kind, value in (
            (EntityKind.CONSTELLATION, d.constellation_id),
            (EntityKind.REGION, d.region_id),
            (EntityKind.CHARACTER, d.victim_character_id),
            (EntityKind.CORPORATION, d.victim_corporation_id),
            (EntityKind.ALLIANCE, d.victim_alliance_id),
            (EntityKind.SHIP_TYPE, d.victim_ship_type_id),
        ):
            if value is not None:
                ids[kind].add(value)
        if lines and d.has_lines:
            for a in d.attackers:
                for kind, value in (
                    (EntityKind.CHARACTER, a.character_id),
                    (EntityKind.CORPORATION, a.corporation_id),
                    (EntityKind.ALLIANCE, a.alliance_id),
                    (EntityKind.SHIP_TYPE, a.ship_type_id),
                    (EntityKind.SHIP_TYPE, a.weapon_type_id),
                ):
                    if value:
                        ids[kind].add(value)
        if items and d.has_lines:
            ids[EntityKind.SHIP_TYPE].update(_item_types(d.items))
    return ids


# Which selected field reaches which kind from a killmail.
_REACHES: dict[EntityKind, frozenset[str]] = {
    EntityKind.CHARACTER: frozenset({"character"}),
    EntityKind.CORPORATION: frozenset({"corporation"}),
    EntityKind.ALLIANCE: frozenset({"alliance"}),
    EntityKind.SHIP_TYPE: frozenset({"shipType", "weaponType", "itemType"}),
    EntityKind.SOLAR_SYSTEM: frozenset({"solarSystem"}),
    EntityKind.CONSTELLATION: frozenset({"constellation"}),
    EntityKind.REGION: frozenset({"region"}),
}


async def prefetch_entities(info: Info, details: Iterable[KillmailDetail]) -> None:
    """Load, in one batch per kind, the entities whose names the selection asks for."""
    wanted = wanted_fields(info)
    if "name" not in wanted:
        return
    loaders: Mapping[str, Any] = info.context.loaders.by_kind
    pending = [
        loaders[kind].load_many(sorted(found))
        for kind, found in _ids(details, wanted).items()
        if found and wanted & _REACHES.get(kind, frozenset())
    ]
    if pending:
        await asyncio.gather(*pending)
