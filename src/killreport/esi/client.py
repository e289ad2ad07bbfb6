"""The typed ESI client: one method per route the killboard uses (DESIGN §6)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import orjson
from pydantic import TypeAdapter, ValidationError

from killreport.esi.errors import EsiBadResponse, EsiUnavailable
from killreport.esi.models import (
    Affiliation,
    Alliance,
    Character,
    Constellation,
    Corporation,
    EsiResult,
    InvCategory,
    InvGroup,
    InvType,
    Killmail,
    KillmailRef,
    MarketPrice,
    Region,
    ResolvedIds,
    ResolvedName,
    ServerStatus,
    SolarSystem,
)
from killreport.esi.routes import ROUTES, Route
from killreport.esi.transport import EsiResponse, EsiTransport

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Bulk route limits from the spec.
AFFILIATION_BATCH = 1000
NAMES_BATCH = 1000
IDS_BATCH = 500
# A listing whose Last-Modified changes between pages is fetched again this often.
PAGED_ATTEMPTS = 3

_IDS: TypeAdapter[tuple[int, ...]] = TypeAdapter(tuple[int, ...])
_AFFILIATIONS: TypeAdapter[tuple[Affiliation, ...]] = TypeAdapter(tuple[Affiliation, ...])
_NAMES: TypeAdapter[tuple[ResolvedName, ...]] = TypeAdapter(tuple[ResolvedName, ...])
_REFS: TypeAdapter[tuple[KillmailRef, ...]] = TypeAdapter(tuple[KillmailRef, ...])
_PRICES: TypeAdapter[tuple[MarketPrice, ...]] = TypeAdapter(tuple[MarketPrice, ...])


def _chunks(values: Sequence[T], size: int) -> list[Sequence[T]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def _unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))


def decode(adapter: TypeAdapter[T], response: EsiResponse) -> T:
    """Decode a body with orjson and validate it; a mismatch is an EsiBadResponse."""
    try:
        return adapter.validate_python(orjson.loads(response.body))
    except (orjson.JSONDecodeError, ValidationError) as exc:
        raise EsiBadResponse(
            f"unexpected body from {response.url}: {str(exc).splitlines()[0]}", url=response.url
        ) from exc


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(model: type[T]) -> TypeAdapter[T]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


def _result(adapter: TypeAdapter[T], response: EsiResponse) -> EsiResult[T]:
    return EsiResult[T](
        value=decode(adapter, response),
        unchanged=response.unchanged,
        expires_at=response.expires_at,
        etag=response.etag,
        last_modified=response.last_modified,
    )


class EsiClient:
    """Typed ESI calls over one transport (one aiohttp session, the shared budget)."""

    def __init__(self, transport: EsiTransport) -> None:
        self.transport = transport

    async def _get(
        self, route_name: str, adapter: TypeAdapter[T], **params: object
    ) -> EsiResult[T]:
        response = await self.transport.call(ROUTES[route_name], params)
        return _result(adapter, response)

    async def alliances(self) -> EsiResult[tuple[int, ...]]:
        """Every active alliance id."""
        return await self._get("alliances", _IDS)

    async def alliance(self, alliance_id: int) -> EsiResult[Alliance]:
        """One alliance."""
        return await self._get("alliance", _adapter(Alliance), alliance_id=alliance_id)

    async def alliance_corporations(self, alliance_id: int) -> EsiResult[tuple[int, ...]]:
        """The member corporation ids of an alliance."""
        return await self._get("alliance_corporations", _IDS, alliance_id=alliance_id)

    async def corporation(self, corporation_id: int) -> EsiResult[Corporation]:
        """One corporation."""
        return await self._get("corporation", _adapter(Corporation), corporation_id=corporation_id)

    async def character(self, character_id: int) -> EsiResult[Character]:
        """One character."""
        return await self._get("character", _adapter(Character), character_id=character_id)

    async def type(self, type_id: int) -> EsiResult[InvType]:
        """One inventory type."""
        return await self._get("type", _adapter(InvType), type_id=type_id)

    async def group(self, group_id: int) -> EsiResult[InvGroup]:
        """One inventory group."""
        return await self._get("group", _adapter(InvGroup), group_id=group_id)

    async def category(self, category_id: int) -> EsiResult[InvCategory]:
        """One inventory category."""
        return await self._get("category", _adapter(InvCategory), category_id=category_id)

    async def system(self, system_id: int) -> EsiResult[SolarSystem]:
        """One solar system."""
        return await self._get("system", _adapter(SolarSystem), system_id=system_id)

    async def constellation(self, constellation_id: int) -> EsiResult[Constellation]:
        """One constellation."""
        return await self._get(
            "constellation", _adapter(Constellation), constellation_id=constellation_id
        )

    async def region(self, region_id: int) -> EsiResult[Region]:
        """One region."""
        return await self._get("region", _adapter(Region), region_id=region_id)

    async def killmail(self, killmail_id: int, killmail_hash: str) -> EsiResult[Killmail]:
        """One killmail by id and hash (a wrong hash raises EsiInvalid)."""
        return await self._get(
            "killmail", _adapter(Killmail), killmail_id=killmail_id, killmail_hash=killmail_hash
        )

    async def market_prices(self) -> EsiResult[tuple[MarketPrice, ...]]:
        """Adjusted and average prices of every type."""
        return await self._get("market_prices", _PRICES)

    async def status(self) -> EsiResult[ServerStatus]:
        """Tranquility's status."""
        return await self._get("status", _adapter(ServerStatus))

    async def affiliations(self, character_ids: Iterable[int]) -> list[Affiliation]:
        """Corporation and alliance of many characters, 1,000 per request."""
        route = ROUTES["affiliation"]
        batches = _chunks(_unique(character_ids), AFFILIATION_BATCH)
        responses = await asyncio.gather(
            *(self.transport.call(route, json_body=list(batch)) for batch in batches)
        )
        return [row for response in responses for row in decode(_AFFILIATIONS, response)]

    async def names(self, ids: Iterable[int]) -> list[ResolvedName]:
        """Names and categories of many ids, 1,000 per request (an unknown id raises 404)."""
        route = ROUTES["names"]
        batches = _chunks(_unique(ids), NAMES_BATCH)
        responses = await asyncio.gather(
            *(self.transport.call(route, json_body=list(batch)) for batch in batches)
        )
        return [row for response in responses for row in decode(_NAMES, response)]

    async def ids(self, names: Iterable[str]) -> ResolvedIds:
        """Ids of exact names, 500 per request, merged by category."""
        route = ROUTES["ids"]
        batches = _chunks(_unique(names), IDS_BATCH)
        responses = await asyncio.gather(
            *(self.transport.call(route, json_body=list(batch)) for batch in batches)
        )
        merged: dict[str, list[Any]] = {}
        for response in responses:
            part = decode(_adapter(ResolvedIds), response)
            for key, rows in part:
                merged.setdefault(key, []).extend(rows)
        return ResolvedIds.model_validate({key: tuple(rows) for key, rows in merged.items()})

    async def character_recent_killmails(
        self, character_id: int, token: str
    ) -> EsiResult[tuple[KillmailRef, ...]]:
        """Every page of a character's recent killmails (scope read_killmails)."""
        return await self._paged(
            ROUTES["character_recent_killmails"],
            {"character_id": character_id},
            token=token,
            caller=f"char:{character_id}",
        )

    async def corporation_recent_killmails(
        self, corporation_id: int, token: str, character_id: int
    ) -> EsiResult[tuple[KillmailRef, ...]]:
        """Every page of a corporation's recent killmails, with a Director's token."""
        return await self._paged(
            ROUTES["corporation_recent_killmails"],
            {"corporation_id": corporation_id},
            token=token,
            caller=f"char:{character_id}",
        )

    async def _paged(
        self, route: Route, params: dict[str, object], *, token: str, caller: str
    ) -> EsiResult[tuple[KillmailRef, ...]]:
        for attempt in range(1, PAGED_ATTEMPTS + 1):
            first = await self.transport.call(
                route, params, query={"page": 1}, token=token, caller=caller
            )
            rest = await asyncio.gather(
                *(
                    self.transport.call(
                        route, params, query={"page": page}, token=token, caller=caller
                    )
                    for page in range(2, (first.pages or 1) + 1)
                )
            )
            responses = [first, *rest]
            if len({response.last_modified for response in responses}) <= 1:
                rows = [row for response in responses for row in decode(_REFS, response)]
                return EsiResult[tuple[KillmailRef, ...]](
                    value=tuple(rows),
                    unchanged=all(response.unchanged for response in responses),
                    expires_at=first.expires_at,
                    etag=first.etag,
                    last_modified=first.last_modified,
                )
            logger.info("pages of %s changed while reading (attempt %d)", first.url, attempt)
        raise EsiUnavailable(f"pages kept changing while reading {route.path}")
