"""Query fields of killmails: one by id, keyset pages under a filter, counts per day."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types import Info

from killreport.api.graphql.connection import (
    DEFAULT_PAGE_SIZE,
    KillmailConnection,
    killmail_connection,
)
from killreport.api.graphql.errors import client_error
from killreport.api.graphql.inputs import (
    KillmailFilterInput,
    KillmailOrderEnum,
    parse_id,
    to_filter,
)
from killreport.api.graphql.killmail_types import Killmail
from killreport.api.graphql.prefetch import prefetch_entities
from killreport.killmails.filters import KillmailOrder
from killreport.killmails.queries import killmail_date_counts


@strawberry.type(description="Killmails on one UTC day.")
class KillmailDateCount:
    date: date
    count: int


@strawberry.type
class KillmailQuery:
    @strawberry.field(description="One killmail with victim, attackers, items and fitting.")
    async def killmail(self, info: Info, id: strawberry.ID) -> Killmail | None:
        detail = await info.context.loaders.killmail.load(parse_id(id))
        if detail is None:
            return None
        await prefetch_entities(info, (detail,))
        return Killmail(detail=detail)

    @strawberry.field(description="Killmails matching the filter, one keyset page at a time.")
    async def killmails(
        self,
        info: Info,
        filter: KillmailFilterInput | None = None,
        order_by: KillmailOrderEnum = KillmailOrder.TIME_DESC,  # type: ignore[valid-type]
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> KillmailConnection:
        return await killmail_connection(
            info, to_filter(filter), KillmailOrder(order_by), first, after
        )

    @strawberry.field(
        description="Matching killmails per UTC day, since inclusive, until exclusive."
    )
    async def killmail_date_counts(
        self,
        info: Info,
        filter: KillmailFilterInput | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[KillmailDateCount]:
        for name, moment in (("since", since), ("until", until)):
            if moment is not None and moment.tzinfo is None:
                raise client_error(f"{name} needs a time zone (e.g. 2026-01-01T00:00:00Z)")
        async with info.context.session() as session:
            counts = await killmail_date_counts(session, to_filter(filter), since, until)
        return [KillmailDateCount(date=c.day, count=c.count) for c in counts]
