"""The Relay connection of killmail lists, shared by `killmails` and every entity's list."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from killreport.api.graphql.errors import PAGE_SIZE_TOO_LARGE, client_error
from killreport.api.graphql.killmail_types import Killmail
from killreport.api.graphql.prefetch import prefetch_entities
from killreport.killmails.filters import KillmailFilter, KillmailOrder
from killreport.killmails.queries import (
    MAX_PAGE_SIZE,
    BadCursor,
    PageSizeError,
    encode_cursor,
    list_killmails,
)

DEFAULT_PAGE_SIZE = 25


@strawberry.type(description="Where a page ends and whether another follows.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class KillmailEdge:
    cursor: str
    node: Killmail


@strawberry.type(description="A page of killmails with opaque keyset cursors.")
class KillmailConnection:
    edges: list[KillmailEdge]
    page_info: PageInfo

    @strawberry.field(description="The page's killmails without their cursors.")
    def nodes(self) -> list[Killmail]:
        return [edge.node for edge in self.edges]


async def killmail_connection(
    info: Info,
    killmail_filter: KillmailFilter,
    order: KillmailOrder,
    first: int,
    after: str | None,
) -> KillmailConnection:
    """One page through the read layer; bad page sizes and cursors are client errors."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise client_error(f"first must be between 1 and {MAX_PAGE_SIZE}", PAGE_SIZE_TOO_LARGE)
    try:
        async with info.context.session() as session:
            page = await list_killmails(
                session, killmail_filter, order=order, first=first, after=after, with_lines=False
            )
    except PageSizeError as exc:
        raise client_error(str(exc), PAGE_SIZE_TOO_LARGE) from exc
    except BadCursor as exc:
        raise client_error(str(exc)) from exc
    await prefetch_entities(info, page.items)
    edges = [
        KillmailEdge(cursor=encode_cursor(order, item), node=Killmail(detail=item))
        for item in page.items
    ]
    return KillmailConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=page.end_cursor,
        ),
    )
