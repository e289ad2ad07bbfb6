"""No token in any log line or queue message during login, sync and refresh (issue 12)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.bus.contracts import Message
from killreport.jobs.user_killmails import queue_syncs
from killreport.settings import Settings
from killreport.sim import Simulator
from tests.auth.site import (
    browser,
    character_row,
    drain,
    free_port,
    log_in,
    record_tokens,
    running_site,
    set_character,
    site_settings,
)


async def test_login_sync_and_refresh_log_and_queue_no_token(
    embedded_settings: Settings, sim: Simulator, pilot: int, caplog: pytest.LogCaptureFixture
) -> None:
    # given every log line captured, every token SSO hands out and every message recorded
    caplog.set_level(logging.DEBUG)
    issued = record_tokens(sim.state.sso)  # type: ignore[arg-type]
    settings = site_settings(
        embedded_settings, esi_url=sim.endpoints["esi"], sso_url=sim.endpoints["sso"],
        port=free_port(), esi_max_rps=1000, queue_poll_interval_s=0.05,
    )  # fmt: skip
    published: list[str] = []
    async with running_site(settings) as site:
        bus = site.container.bus
        original = bus.publish_in

        async def publish_in(
            session: AsyncSession, queue: str, messages: Iterable[Message], priority: int = 0
        ) -> int:
            batch = list(messages)
            published.extend(m.model_dump_json() for m in batch)
            return await original(session, queue, batch, priority)

        bus.publish_in = publish_in  # type: ignore[method-assign]
        # when the pilot logs in, the worker syncs, and a later sync must refresh the token
        async with browser() as http:
            await log_in(http, site.url, pilot)
        await drain(site.container)
        expired = datetime.now(UTC) - timedelta(hours=2)
        await set_character(site.container, pilot, access_token_expires_at=expired)
        now = datetime.now(UTC)
        await queue_syncs(site.container.database, bus, now, priority=5, force=True)
        await drain(site.container)
        row = await character_row(site.container, pilot)
    # then the refresh happened (a second grant), and the sync ran twice
    assert row.access_token_expires_at is not None and row.access_token_expires_at > now
    assert len(issued) == 4 and len(published) == 2
    # and no token is in any log line (message, arguments or traceback) or any message
    lines: list[Any] = []
    for record in caplog.records:
        lines += [record.getMessage(), repr(record.args), record.exc_text or ""]
    text = "\n".join(str(line) for line in lines) + "\n".join(published)
    assert "sso issued token" in text and "access token refreshed" in text
    for token in issued:
        assert token not in text
