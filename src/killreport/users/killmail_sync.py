"""A character's own killmails from ESI, incremental and resumable (issue 12).

One walk pages `GET /characters/{id}/killmails/recent` (X-Pages, newest first): an
incremental walk stops at the page holding the last id it stored, a full one reads every
page. Each page's killmails the database lacks are fetched through the shared budget
(the `char-killmail` and `killmail` groups pace it; no fixed sleeps) and stored through
`ingest_batch` (source `esi-user`); the walk's position is saved in the same
transaction, and the last id and sync time in the transaction of the last batch.

A walk works for one slice of time, then yields (`SyncOutcome.resume_at`): a full sync
of 2,500 killmails waits ~45 minutes on the 30-token list bucket, and a worker must
neither hold its message that long nor keep other pilots waiting. Pages only shift
towards the end as new killmails arrive, so resuming at the saved page misses nothing.
A character whose token has the corporation scope also walks its corporation's list,
once per corporation per 15 minutes; ESI's "required role" 403 is remembered a day.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.db.tables import CorporationKillmailSync, UserCharacter
from killreport.esi.client import EsiClient, decode
from killreport.esi.errors import EsiUnauthorized
from killreport.esi.models import KillmailRef as EsiKillmailRef
from killreport.esi.routes import ROUTES
from killreport.esi.transport import EsiResponse
from killreport.events.hub import EventHub
from killreport.jobs.esi_killmails import Fetched, KillmailRef, fetch_killmails, stored_ids
from killreport.killmails.service import ingest_batch
from killreport.sso.refresh import TokensRevoked

logger = logging.getLogger(__name__)

SOURCE = "esi-user"
# After ESI failed some fetches (5xx, timeouts past the retries), the walk resumes this late.
FAILED_FETCH_RETRY = timedelta(seconds=60)
# When a slice ends, fetches in flight get this long to land.
FETCH_GRACE_S = 3.0
_REFS: TypeAdapter[tuple[EsiKillmailRef, ...]] = TypeAdapter(tuple[EsiKillmailRef, ...])

TokenSource = Callable[[int], Awaitable[str]]


@dataclass(slots=True)
class SyncOutcome:
    """What one slice of a walk did; `resume_at` set when the walk is not finished."""

    character_id: int
    state: str = "ok"  # ok, busy, revoked, yielded, failed
    list_requests: int = 0
    pages: int = 0
    new: int = 0
    duplicate: int = 0
    fetched: int = 0
    rejected: int = 0
    failed: list[str] = field(default_factory=list)
    corporation_pages: int = 0
    resume_at: datetime | None = None
    message: str = ""


class SliceOver(Exception):
    """The slice's time is up; save and yield."""


@dataclass(slots=True)
class Walk:
    """The list being walked: route, path parameters, caller and incremental marker."""

    route_name: str
    params: dict[str, object]
    caller: str
    last_id: int | None
    full: bool
    next_page: int
    top_id: int | None


class KillmailSync:
    """Runs slices of characters' walks over one database, ESI client and token source."""

    def __init__(
        self,
        database: Database,
        esi: EsiClient,
        tokens: TokenSource,
        events: EventHub | None = None,
        *,
        slice_s: float = 40.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.esi = esi
        self.tokens = tokens
        self.events = events
        self.slice_s = slice_s
        self.clock = clock

    async def run(self, character_id: int, *, full: bool) -> SyncOutcome:
        """One slice of the character's walk (and its corporation's, once it is done)."""
        outcome = SyncOutcome(character_id)
        started = time.monotonic()
        walk = await self._claim(character_id, full, outcome)
        if walk is None:
            return outcome
        try:
            token = await self.tokens(character_id)
            await self.walk(walk, token, outcome, started, character_id=character_id)
            if outcome.state == "ok":
                # Imported here: the corporation walk builds on this module's walk.
                from killreport.users.corporation_sync import sync_corporation

                await sync_corporation(self, character_id, token, outcome, started)
        except TokensRevoked as exc:
            # The refresh already marked the grant revoked; leave that state as it is.
            await self._release(character_id)
            outcome.state, outcome.message = "revoked", str(exc)
            return outcome
        except SliceOver:
            outcome.state = "yielded"
            outcome.resume_at = self.clock()
        except EsiUnauthorized as exc:
            # ESI no longer takes the token: refresh it at the next slice.
            await self._release(character_id, expire_token=True, error=str(exc))
            outcome.state, outcome.message = "failed", f"ESI refused the token: {exc}"
            outcome.resume_at = self.clock() + timedelta(seconds=5)
            return outcome
        except Exception as exc:
            await self._release(character_id, error=f"{type(exc).__name__}: {exc}")
            raise
        if outcome.state == "yielded" or outcome.resume_at is not None:
            await self._release(character_id)
        return outcome

    # -- claiming ---------------------------------------------------------------------------

    async def _claim(self, character_id: int, full: bool, outcome: SyncOutcome) -> Walk | None:
        now = self.clock()
        lease_until = now + timedelta(seconds=self.slice_s * 2 + 30)
        async with self.database.transaction() as session:
            claimed = await session.execute(
                update(UserCharacter)
                .where(
                    UserCharacter.character_id == character_id,
                    UserCharacter.tokens_revoked_at.is_(None),
                    UserCharacter.refresh_token_encrypted.is_not(None),
                    or_(
                        UserCharacter.sync_lease_until.is_(None),
                        UserCharacter.sync_lease_until < now,
                    ),
                )
                .values(sync_lease_until=lease_until, sync_state="running")
            )
            row = await session.get(UserCharacter, character_id)
            if row is None:
                outcome.state, outcome.message = "revoked", "no such character"
                return None
            if getattr(claimed, "rowcount", 0) != 1:
                if row.tokens_revoked_at is not None or row.refresh_token_encrypted is None:
                    outcome.state, outcome.message = "revoked", "the login was revoked"
                else:
                    outcome.state, outcome.message = "busy", "another worker is syncing it"
                return None
            if row.sync_next_page is None:
                row.sync_next_page, row.sync_full, row.sync_top_killmail_id = 1, full, None
            elif full:
                row.sync_full = True
            return Walk(
                route_name="character_recent_killmails",
                params={"character_id": character_id},
                caller=f"char:{character_id}",
                last_id=None if row.sync_full else row.last_killmail_id,
                full=row.sync_full,
                next_page=row.sync_next_page,
                top_id=row.sync_top_killmail_id,
            )

    async def _release(
        self, character_id: int, *, expire_token: bool = False, error: str | None = None
    ) -> None:
        values: dict[str, Any] = {"sync_lease_until": None}
        if error is not None:
            values |= {"sync_state": "failed", "sync_error": error[:500]}
        if expire_token:
            values["access_token_expires_at"] = self.clock()
        async with self.database.transaction() as session:
            await session.execute(
                update(UserCharacter)
                .where(UserCharacter.character_id == character_id)
                .values(values)
            )

    # -- walking ----------------------------------------------------------------------------

    def _remaining_s(self, started: float) -> float:
        remaining = self.slice_s - (time.monotonic() - started)
        if remaining <= 0:
            raise SliceOver
        return remaining

    async def _bounded(self, work: Callable[[], Awaitable[Any]], started: float) -> Any:
        remaining_s = self._remaining_s(started)
        try:
            return await asyncio.wait_for(work(), remaining_s)
        except TimeoutError as exc:
            raise SliceOver from exc

    async def _list_page(
        self, walk: Walk, page: int, token: str, started: float
    ) -> tuple[list[KillmailRef], int]:
        def call() -> Awaitable[EsiResponse]:
            return self.esi.transport.call(
                ROUTES[walk.route_name], walk.params, query={"page": page}, token=token,
                caller=walk.caller,
            )  # fmt: skip

        response: EsiResponse = await self._bounded(call, started)
        refs = [
            KillmailRef(r.killmail_id, r.killmail_hash, origin=f"{walk.caller}:{page}")
            for r in decode(_REFS, response)
        ]
        return refs, response.pages or 1

    async def walk(
        self,
        walk: Walk,
        token: str,
        outcome: SyncOutcome,
        started: float,
        *,
        character_id: int | None = None,
        corporation_id: int | None = None,
    ) -> None:
        """Page a list from `walk.next_page`, storing each page; SliceOver when time is up."""
        page = walk.next_page
        while True:
            refs, pages = await self._list_page(walk, page, token, started)
            outcome.list_requests += 1
            if walk.top_id is None:
                walk.top_id = max((r.killmail_id for r in refs), default=walk.last_id)
            stop = page >= pages or not refs
            if walk.last_id is not None:
                if any(r.killmail_id <= walk.last_id for r in refs):
                    stop = True
                refs = [r for r in refs if r.killmail_id > walk.last_id]
            have = await stored_ids(self.database, [r.killmail_id for r in refs])
            wanted = [r for r in refs if r.killmail_id not in have]
            outcome.duplicate += len(refs) - len(wanted)
            fetched, cut = await self._fetch(wanted, started)
            outcome.fetched += len(fetched.killmails)
            if cut:
                # The slice ended mid-page: store what came, read the page again next slice.
                stop, outcome.resume_at, outcome.state = False, self.clock(), "yielded"
            elif fetched.retry_at is not None or fetched.failed:
                # Store what came; the page is read again when the walk resumes (after
                # the budget's time, or a pause when ESI kept failing).
                retry_at = fetched.retry_at or self.clock() + FAILED_FETCH_RETRY
                stop, outcome.resume_at = False, retry_at
                outcome.failed.extend(f"{ref.killmail_id}: {err}" for ref, err in fetched.failed)
            done = stop and outcome.resume_at is None
            next_page = page if outcome.resume_at is not None else page + 1

            async def save(
                session: AsyncSession, _result: Any, next_page: int = next_page, done: bool = done
            ) -> None:
                await self._save(session, walk, next_page, done, character_id, corporation_id)

            result = await ingest_batch(
                self.database,
                self.events,
                fetched.killmails,
                rejected=fetched.rejected,
                in_transaction=save,
            )
            outcome.pages += 1
            outcome.new += len(result.created)
            outcome.duplicate += len(result.duplicates)
            outcome.rejected += len(result.rejected)
            if done or outcome.resume_at is not None:
                return
            page = next_page

    async def _fetch(self, wanted: list[KillmailRef], started: float) -> tuple[Fetched, bool]:
        """The page's killmails fetched within the slice; True when some were cut off.

        One task per killmail, so what arrived before the slice ended is kept."""
        merged = Fetched()
        if not wanted:
            return merged, False
        try:
            remaining_s = self._remaining_s(started)
        except SliceOver:
            return merged, True
        tasks = [
            asyncio.ensure_future(fetch_killmails(self.esi, [ref], source=SOURCE)) for ref in wanted
        ]
        done, pending = await asyncio.wait(tasks, timeout=remaining_s)
        if pending:
            # Requests already sent finish within the grace; those still waiting for the
            # budget are cancelled before they are sent, so nothing is paid for twice.
            more, pending = await asyncio.wait(pending, timeout=FETCH_GRACE_S)
            done |= more
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            part = task.result()
            merged.killmails += part.killmails
            merged.rejected += part.rejected
            merged.pending += part.pending
            merged.failed += part.failed
            if part.retry_at is not None:
                merged.retry_at = max(merged.retry_at or part.retry_at, part.retry_at)
        return merged, bool(pending)

    async def _save(
        self,
        session: AsyncSession,
        walk: Walk,
        next_page: int,
        done: bool,
        character_id: int | None,
        corporation_id: int | None,
    ) -> None:
        now = self.clock()
        newest = max((i for i in (walk.top_id, walk.last_id) if i is not None), default=None)
        if character_id is not None:
            values: dict[str, Any] = {
                "sync_next_page": next_page,
                "sync_top_killmail_id": walk.top_id,
            }
            if done:
                values = {
                    "sync_next_page": None,
                    "sync_top_killmail_id": None,
                    "sync_full": False,
                    "sync_lease_until": None,
                    "last_killmail_id": newest,
                    "killmails_synced_at": now,
                    "sync_state": "ok",
                    "sync_error": None,
                }
            await session.execute(
                update(UserCharacter)
                .where(UserCharacter.character_id == character_id)
                .values(values)
            )
        elif corporation_id is not None and done:
            row = await session.get(CorporationKillmailSync, corporation_id)
            if row is None:
                row = CorporationKillmailSync(corporation_id=corporation_id, pages=0)
                session.add(row)
            row.last_killmail_id = newest
            row.synced_at = now
            row.synced_by_character_id = int(walk.caller.removeprefix("char:"))
            row.pages = next_page - 1
