"""The database budget store: the rules of `budget_memory` over one shared row.

The embedded deployment has no Redis, but every one of its processes opens the same
database, so the budget lives there: one `esi_budget_state` row holds the whole state
(admissions of the last rate window, reservations in flight, the error window, the
rate-limit groups) as JSON, and every admission and settle is one writing unit on it —
`BEGIN IMMEDIATE` on SQLite, `SELECT ... FOR UPDATE` on PostgreSQL — that loads the state
into a `MemoryBudgetStore`, applies the same step and writes it back. Any number of
processes on one database therefore stay within one request rate, one error-limit floor
and one set of groups together.

Cost per request: an admission and a settle are one short write each; a process that
was refused polls with reads (WAL readers never wait for the writer) and sleeps as long
as the rules say. Times are the host's wall clock: processes on one SQLite file share a host;
PostgreSQL processes on several hosts need synchronised clocks (or Redis, which uses
its own).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import cast

import orjson
from sqlalchemy import Table, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.dialect import insert_ignore
from killreport.db.engine import Database, DatabaseUnavailable
from killreport.db.tables.budget import EsiBudgetState
from killreport.esi.budget import Bucket, BudgetPolicy, BudgetSnapshot, Observation
from killreport.esi.budget_memory import MemoryBudgetStore
from killreport.esi.errors import EsiBudgetUnavailable

logger = logging.getLogger(__name__)

_TABLE = cast(Table, EsiBudgetState.__table__)
# Shortest sleep between looks while only a completion elsewhere can free a slot: each
# look is a database read, so it is spaced wider than the in-process store's poll.
MIN_WAIT_S = 0.02
# An admission is booked at a time read inside its transaction; its request leaves after
# the commit and the waiter's wake-up, which on a loaded machine take tens of ms (a batch
# leaves over a few more). Booking each admission this much longer keeps the admissions
# whose requests can land in one calendar second of ESI's count within `max_rps`.
SEND_SLACK_S = 0.2

Clock = Callable[[], float]


@dataclass(eq=False, slots=True)
class _Settle:
    request_id: str
    bucket: Bucket | None
    observation: Observation | None  # None: an admission given back unsent


class DatabaseBudgetStore:
    """Budget state in the application database, shared by every process that opens it."""

    backend = "database"

    def __init__(
        self,
        database: Database,
        policy: BudgetPolicy,
        name: str = "esi",
        clock: Clock = time.time,
    ) -> None:
        self.database = database
        self.policy = replace(policy, rps_window_s=policy.rps_window_s + SEND_SLACK_S)
        self.name = name
        self.clock = clock
        # Whether this process's last look was refused: then it polls with reads.
        self._refused = False
        # Settles not yet written; the next write of this process carries them all.
        self._unsettled: list[_Settle] = []
        self._writing = asyncio.Lock()

    def _model(self, raw: str | None, now: float) -> MemoryBudgetStore:
        model = MemoryBudgetStore(self.policy, clock=lambda: now)
        if raw:
            model.load_state(orjson.loads(raw))
        return model

    async def _locked_state(self, session: AsyncSession) -> str | None:
        query = select(_TABLE.c.state).where(_TABLE.c.name == self.name).with_for_update()
        raw = await session.scalar(query)
        if raw is None:
            row = {"name": self.name, "state": "{}", "updated_at_ms": 0}
            await session.execute(insert_ignore(self.database.dialect, _TABLE), row)
            raw = await session.scalar(query)
        return cast(str | None, raw)

    async def _read(self) -> str | None:
        async with self.database.reading() as session:
            raw = await session.scalar(select(_TABLE.c.state).where(_TABLE.c.name == self.name))
        return cast(str | None, raw)

    async def _write(
        self, request_ids: Sequence[str] = (), bucket: Bucket | None = None
    ) -> tuple[int, float]:
        """One writing unit: every queued settle, then admit `request_ids` while allowed."""
        async with self._writing:
            if not request_ids and not self._unsettled:
                return 0, 0.0  # a write that just finished carried the caller's settle
            settles, self._unsettled = self._unsettled, []
            try:
                async with self.database.transaction() as session:
                    raw = await self._locked_state(session)
                    now = self.clock()
                    model = self._model(raw, now)
                    for item in settles:
                        if item.observation is None:
                            await model.release(item.request_id, item.bucket)
                        else:
                            await model.settle(item.request_id, item.bucket, item.observation)
                    admitted, wait_s = await model.try_acquire_many(request_ids, bucket)
                    if settles or admitted:
                        state = orjson.dumps(model.dump_state()).decode()
                        await session.execute(
                            update(_TABLE)
                            .where(_TABLE.c.name == self.name)
                            .values(state=state, updated_at_ms=int(now * 1000))
                        )
            except (SQLAlchemyError, OSError, DatabaseUnavailable) as exc:
                # Kept for the next write; unwritten, a reservation runs out after hold_s.
                self._unsettled[:0] = settles
                raise EsiBudgetUnavailable(f"ESI budget store unreachable: {exc}") from exc
        return admitted, wait_s

    async def try_acquire_many(
        self, request_ids: Sequence[str], bucket: Bucket | None
    ) -> tuple[int, float]:
        """Admit the requests in order while the budget allows: (admitted, wait for the rest)."""
        if self._refused and not self._unsettled:
            # Waiting: look with a read first, so a process that must wait longer never
            # takes the write lock (WAL readers do not wait for the writer).
            try:
                raw = await self._read()
            except (SQLAlchemyError, OSError, DatabaseUnavailable) as exc:
                raise EsiBudgetUnavailable(f"ESI budget store unreachable: {exc}") from exc
            admitted, wait_s = await self._model(raw, self.clock()).try_acquire_many(
                request_ids[:1], bucket
            )
            if not admitted:
                return 0, max(wait_s, MIN_WAIT_S)
        admitted, wait_s = await self._write(request_ids, bucket)
        self._refused = admitted < len(request_ids)
        return admitted, max(wait_s, MIN_WAIT_S) if wait_s > 0 else 0.0

    async def try_acquire(self, request_id: str, bucket: Bucket | None) -> float:
        """Admit the request (0.0) or say how many seconds to wait."""
        _, wait_s = await self.try_acquire_many([request_id], bucket)
        return wait_s

    async def release(self, request_id: str, bucket: Bucket | None) -> None:
        """Give back an admission whose request was never sent."""
        await self._flush(_Settle(request_id, bucket, None))

    async def settle(
        self, request_id: str, bucket: Bucket | None, observation: Observation
    ) -> None:
        """Release the reservation and learn from the answer (written before this returns)."""
        await self._flush(_Settle(request_id, bucket, observation))

    async def _flush(self, item: _Settle) -> None:
        # Group commit: settles that arrive while a write runs all go in the next one.
        self._unsettled.append(item)
        await self._write()

    async def snapshot(self) -> BudgetSnapshot:
        """The state now, read from the database."""
        model = self._model(await self._read(), self.clock())
        snapshot = await model.snapshot()
        return BudgetSnapshot(
            backend=self.backend,
            error_remain=snapshot.error_remain,
            error_window_end=snapshot.error_window_end,
            paused_until=snapshot.paused_until,
            in_flight=snapshot.in_flight,
            sent_last_window=snapshot.sent_last_window,
            groups=snapshot.groups,
        )
