"""`killreport queue user-killmails [--force] [--full] [IDS]`: the seed's flags and summary."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from killreport.cli.main import app
from killreport.db.engine import Database
from killreport.db.tables import QueueMessage, User, UserCharacter


async def _seed(url: str) -> None:
    now = datetime.now(UTC)
    database = Database.from_url(url)
    try:
        async with database.transaction() as session:
            session.add(User(user_id=1, is_admin=False, created_at=now))
            await session.flush()
            for character_id, name, synced, last_id in (
                (91000001, "John Doe", now - timedelta(minutes=20), 123456789),
                (91000002, "Jane Smith", None, None),
                (91000003, "Bob Wilson", now - timedelta(minutes=5), 5),
            ):
                session.add(
                    UserCharacter(
                        character_id=character_id, user_id=1, character_name=name,
                        owner_hash="o", scopes="", created_at=now, token_generation=0,
                        sync_state="ok", sync_full=False, refresh_token_encrypted=b"x",
                        killmails_synced_at=synced, last_killmail_id=last_id,
                    )
                )  # fmt: skip
    finally:
        await database.dispose()


async def _messages(url: str) -> list[tuple[int, dict[str, object]]]:
    database = Database.from_url(url)
    try:
        async with database.transaction() as session:
            rows = (await session.scalars(select(QueueMessage))).all()
            return [(r.rank, orjson.loads(r.body)) for r in rows]
    finally:
        await database.dispose()


def test_queue_user_killmails_prints_the_seed_summary(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given two characters due (synced 20 minutes ago, never) and one synced 5 minutes ago
    monkeypatch.setenv("KILLREPORT_DATABASE_URL", sqlite_url)
    asyncio.run(_seed(sqlite_url))
    # when the manual producer runs without flags
    app(["queue", "user-killmails"], result_action="return_value")
    out = capsys.readouterr().out
    # then it queues the two due ones at priority 5 and says which sync each gets
    assert "Queued: John Doe (ID: 91000001) [INCREMENTAL]" in out
    assert "Queued: Jane Smith (ID: 91000002) [FIRST SYNC]" in out
    assert "Bob Wilson" not in out and "Successfully queued 2 character(s)!" in out
    assert sorted(m["character_id"] for _, m in asyncio.run(_messages(sqlite_url))) == [
        91000001, 91000002,
    ]  # fmt: skip
    # when it runs again with --force --full for one id, that one is queued for a full sync
    app(["queue", "user-killmails", "--force", "--full", "91000003"], result_action="return_value")
    out = capsys.readouterr().out
    assert "Queued: Bob Wilson (ID: 91000003) [FULL SYNC]" in out
    messages = asyncio.run(_messages(sqlite_url))
    assert (5, {"v": 1, "character_id": 91000003, "full": True}) in messages
