"""Queue counts of the embedded bus: ready, unacked, delayed, dead and live consumers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from killreport.bus.contracts import QUEUES, dead_letter_queue
from killreport.bus.errors import BusUnavailable
from killreport.bus.protocol import QueueStats
from killreport.db.engine import Database
from killreport.db.tables.ops import QueueConsumer, QueueMessage

_MESSAGES = cast(Table, QueueMessage.__table__)
_CONSUMERS = cast(Table, QueueConsumer.__table__)


def now_ms() -> int:
    """Wall-clock milliseconds (the embedded bus's shared time base)."""
    return int(time.time() * 1000)


async def queue_stats(
    database: Database, queues: Sequence[str] | None, *, stale_after_s: float
) -> list[QueueStats]:
    """Counts per queue from the table (exact, as of now); consumers seen within stale_after_s."""
    names = list(queues if queues is not None else QUEUES)
    wanted = [*names, *(dead_letter_queue(name) for name in names)]
    stamp = now_ms()
    m = _MESSAGES.c
    visible = m.visible_at_ms <= stamp
    counts = (
        select(
            m.queue,
            func.count().label("total"),
            func.sum(case((visible, 1), else_=0)).label("ready"),
            func.sum(case((~visible & m.lease_owner.is_not(None), 1), else_=0)).label("unacked"),
        )
        .where(m.queue.in_(wanted))
        .group_by(m.queue)
    )
    consumers = (
        select(_CONSUMERS.c.queue, func.count())
        .where(
            _CONSUMERS.c.queue.in_(names),
            _CONSUMERS.c.seen_at_ms >= stamp - int(stale_after_s * 1000),
        )
        .group_by(_CONSUMERS.c.queue)
    )
    try:
        async with database.reading() as conn:
            rows = {row.queue: row for row in (await conn.execute(counts)).all()}
            live = {row[0]: int(row[1]) for row in (await conn.execute(consumers)).all()}
    except SQLAlchemyError as exc:
        raise BusUnavailable(f"could not read queue counts: {exc}") from exc
    stats = []
    for name in names:
        row = rows.get(name)
        total = int(row.total) if row else 0
        ready = int(row.ready or 0) if row else 0
        unacked = int(row.unacked or 0) if row else 0
        dead = rows.get(dead_letter_queue(name))
        stats.append(
            QueueStats(
                queue=name,
                ready=ready,
                unacked=unacked,
                consumers=live.get(name, 0),
                delayed=total - ready - unacked,
                dead=int(dead.total) if dead else 0,
            )
        )
    return stats
