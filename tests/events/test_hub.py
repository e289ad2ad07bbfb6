"""The events hub is best effort: an unreachable Redis never fails the ingest that committed."""

from __future__ import annotations

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from killreport.db.engine import Database
from killreport.db.tables import Killmail
from killreport.events.hub import RedisHub
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from tests.killmails.corpus import corpus, everef_line

# Nothing listens on port 1: every connection is refused at once.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


def _dropped() -> float:
    value = REGISTRY.get_sample_value(
        "killreport_events_dropped_total", {"event": "killmail.created"}
    )
    return value or 0.0


async def test_ingest_returns_and_stores_when_redis_is_down(sqlite_url: str) -> None:
    # given a hub pointed at a Redis nobody listens on, and five real killmails
    hub = RedisHub(DEAD_REDIS_URL)
    database = Database.from_url(sqlite_url)
    killmails = [parse_envelope(everef_line(r), source="test") for r in corpus()[:5]]
    dropped_before = _dropped()
    try:
        # when they are ingested
        result = await ingest_batch(database, hub, killmails)
        async with database.transaction() as session:
            stored = set((await session.execute(select(Killmail.killmail_id))).scalars())
            count = await session.scalar(select(func.count()).select_from(Killmail))
    finally:
        await hub.close()
        await database.dispose()
    # then the batch's result comes back, every killmail is stored once,
    expected = {k.killmail_id for k in killmails}
    assert {killmail_id for killmail_id, _ in result.created} == expected
    assert sorted(sequence for _, sequence in result.created) == [1, 2, 3, 4, 5]
    assert stored == expected and count == 5
    # and the five lost events are counted
    assert _dropped() - dropped_before == 5
