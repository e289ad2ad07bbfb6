"""Kill lists as pages show them: rows coloured by the page's side, names, and the live hookup."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.api.pages.filterquery import graphql_filter
from killreport.api.pages.names import NameBook
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.filters import KillmailFilter

# Rows a live list keeps; older ones fall off the bottom as new ones come in on top.
LIVE_MAX_ROWS: Final = 50


@dataclass(frozen=True, slots=True)
class Perspective:
    """Whose page a list is on: `victim_column` tells a loss (victim) from a kill."""

    victim_column: str | None
    entity_id: int

    @property
    def token(self) -> str:
        """The perspective as the row URL carries it (`victim_alliance_id-99000001`)."""
        return f"{self.victim_column}-{self.entity_id}" if self.victim_column else ""


# The victim columns a perspective may name (checked when read back from a row URL).
VICTIM_COLUMNS: Final = frozenset(
    {
        "victim_character_id",
        "victim_corporation_id",
        "victim_alliance_id",
        "victim_ship_type_id",
        "victim_ship_group_id",
    }
)


def parse_perspective(token: str | None) -> Perspective | None:
    """Read a perspective token back; None when absent or not one of ours."""
    if not token or "-" not in token:
        return None
    column, _, raw_id = token.rpartition("-")
    if column not in VICTIM_COLUMNS or not raw_id.isdigit():
        return None
    return Perspective(column, int(raw_id))


@dataclass(frozen=True, slots=True)
class KillRow:
    """One row of a kill list: the killmail and whether it is a kill or a loss here."""

    killmail: KillmailDetail
    side: str


@dataclass(frozen=True, slots=True)
class LiveList:
    """What live.js needs: the GraphQL filter, the last sequence shown, the row URL."""

    filter_json: str
    after: int
    row_url: str
    max_rows: int = LIVE_MAX_ROWS


def side_of(killmail: KillmailDetail, perspective: Perspective | None) -> str:
    """'loss' when the page's entity is the victim, 'kill' when it is not, '' off-perspective."""
    if perspective is None or perspective.victim_column is None:
        return ""
    victim = getattr(killmail, perspective.victim_column)
    return "loss" if victim == perspective.entity_id else "kill"


async def kill_rows(
    session: AsyncSession,
    killmails: Sequence[KillmailDetail],
    perspective: Perspective | None,
    names: NameBook | None = None,
) -> tuple[list[KillRow], NameBook]:
    """Rows for these killmails and the names they show (loaded in one pass)."""
    book = names or NameBook()
    for killmail in killmails:
        book.want_killmail(killmail)
    await book.load(session)
    return [KillRow(k, side_of(k, perspective)) for k in killmails], book


def live_list(
    killmail_filter: KillmailFilter, after_sequence: int, perspective: Perspective | None
) -> LiveList:
    """The live hookup of a first page; `after_sequence` is read before the list is."""
    suffix = f"?as={perspective.token}" if perspective and perspective.token else ""
    return LiveList(
        filter_json=json.dumps(graphql_filter(killmail_filter), separators=(",", ":")),
        after=after_sequence,
        row_url="/kill/{id}/row" + suffix,
    )
