"""DataLoaders of one request: every id asked for in one tick is loaded in one statement.

One table of loaders, one per entity kind, each a batch function of the read layer
(`killmails.queries`, `universe.lookups`) over the request's read session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from killreport.killmails.detail import KillmailDetail
from killreport.killmails.queries import get_killmails
from killreport.universe import lookups

BatchFn = Callable[[AsyncSession, list[int]], Awaitable[Mapping[int, Any]]]


class SessionSource(Protocol):
    """Where a loader gets a session for its batch (the request's read session)."""

    def use(self) -> AbstractAsyncContextManager[AsyncSession]:
        """The session, held for the block."""
        ...


def _loader(source: SessionSource, batch: BatchFn) -> DataLoader[int, Any]:
    async def load(keys: list[int]) -> list[Any]:
        async with source.use() as session:
            found = await batch(session, keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class Loaders:
    """One DataLoader per kind, for one request."""

    killmail: DataLoader[int, KillmailDetail | None]
    character: DataLoader[int, lookups.CharacterInfo | None]
    corporation: DataLoader[int, lookups.CorporationInfo | None]
    alliance: DataLoader[int, lookups.AllianceInfo | None]
    item_type: DataLoader[int, lookups.TypeInfo | None]
    group: DataLoader[int, lookups.GroupInfo | None]
    solar_system: DataLoader[int, lookups.SolarSystemInfo | None]
    constellation: DataLoader[int, lookups.ConstellationInfo | None]
    region: DataLoader[int, lookups.RegionInfo | None]

    @cached_property
    def by_kind(self) -> dict[str, DataLoader[int, Any]]:
        """The entity loaders by EntityKind value (CHARACTER, SHIP_TYPE, ...)."""
        return {
            "CHARACTER": self.character,
            "CORPORATION": self.corporation,
            "ALLIANCE": self.alliance,
            "SHIP_TYPE": self.item_type,
            "GROUP": self.group,
            "SOLAR_SYSTEM": self.solar_system,
            "CONSTELLATION": self.constellation,
            "REGION": self.region,
        }

    @classmethod
    def for_session(cls, source: SessionSource) -> Loaders:
        """Fresh loaders (empty caches) reading through the request's session."""
        return cls(
            killmail=_loader(source, get_killmails),
            character=_loader(source, lookups.load_characters),
            corporation=_loader(source, lookups.load_corporations),
            alliance=_loader(source, lookups.load_alliances),
            item_type=_loader(source, lookups.load_types),
            group=_loader(source, lookups.load_groups),
            solar_system=_loader(source, lookups.load_solar_systems),
            constellation=_loader(source, lookups.load_constellations),
            region=_loader(source, lookups.load_regions),
        )
