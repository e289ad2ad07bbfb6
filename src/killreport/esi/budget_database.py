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

import logging
import time
from collections.abc import Callable
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

Clock = Callable[[], float]


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
        self.policy = policy
        self.name = name
        self.clock = clock
        # Whether this process's last look was refused: then it polls with reads.
        self._refused = False

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

    async def _save(self, session: AsyncSession, model: MemoryBudgetStore, now: float) -> None:
        await session.execute(
            update(_TABLE)
            .where(_TABLE.c.name == self.name)
            .values(state=orjson.dumps(model.dump_state()).decode(), updated_at_ms=int(now * 1000))
        )

    async def _read(self) -> str | None:
        async with self.database.reading() as session:
            raw = await session.scalar(select(_TABLE.c.state).where(_TABLE.c.name == self.name))
        return cast(str | None, raw)

    async def try_acquire(self, request_id: str, bucket: Bucket | None) -> float:
        """Admit the request (0.0) or say how many seconds to wait."""
        try:
            if self._refused:
                # Waiting: look with a read first, so a request that must wait longer
                # never takes the write lock (WAL readers do not wait for the writer).
                model = self._model(await self._read(), self.clock())
                wait_s = await model.try_acquire(request_id, bucket)
                if wait_s > 0:
                    return max(wait_s, MIN_WAIT_S)
            async with self.database.transaction() as session:
                raw = await self._locked_state(session)
                now = self.clock()
                model = self._model(raw, now)
                wait_s = await model.try_acquire(request_id, bucket)
                if wait_s == 0:
                    await self._save(session, model, now)
        except (SQLAlchemyError, OSError, DatabaseUnavailable) as exc:
            raise EsiBudgetUnavailable(f"ESI budget store unreachable: {exc}") from exc
        self._refused = wait_s > 0
        return wait_s if wait_s == 0 else max(wait_s, MIN_WAIT_S)

    async def settle(
        self, request_id: str, bucket: Bucket | None, observation: Observation
    ) -> None:
        """Release the reservation and learn from the answer."""
        try:
            async with self.database.transaction() as session:
                raw = await self._locked_state(session)
                now = self.clock()
                model = self._model(raw, now)
                await model.settle(request_id, bucket, observation)
                await self._save(session, model, now)
        except (SQLAlchemyError, OSError, DatabaseUnavailable) as exc:
            # The reservation runs out by itself after `hold_s`; the caller still learns.
            raise EsiBudgetUnavailable(f"ESI budget store unreachable: {exc}") from exc

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
