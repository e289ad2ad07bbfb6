"""The zKillboard history worker against the simulator: pages in, killmails stored once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from killreport import container as container_module
from killreport.bus.contracts import (
    ESI_CHARACTER_INFO_QUEUE,
    QUEUES,
    ZKILLBOARD_CHARACTER_QUEUE,
    ZkillboardCharacterMessage,
)
from killreport.bus.errors import RetryLater
from killreport.bus.protocol import Delivery
from killreport.db.tables import Killmail
from killreport.jobs.zkb_history import HistorySummary, ingest_page
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.settings import Settings
from killreport.sim import SimConfig, Simulator, run_simulator
from killreport.workers.handler import HandlerContext
from killreport.workers.handlers.killmails import handle_zkillboard_character
from killreport.workers.routes import select_routes
from killreport.workers.runtime import run_routes

KILLMAIL_ROUTE = "esi GET /killmails/{killmail_id}/{killmail_hash}"


def against(settings: Settings, sim: Simulator) -> Settings:
    """The settings pointed at the simulator, without zKillboard pacing."""
    return settings.model_copy(
        update={
            "esi_url": sim.endpoints["esi"],
            "zkb_api_url": sim.endpoints["zkb_api"],
            "r2z2_url": sim.endpoints["r2z2"],
            "zkb_api_min_interval_s": 0.0,
        }
    )


def busiest_character(sim: Simulator) -> tuple[int, set[int]]:
    """The character with the most killmails the zKillboard API serves, and their ids."""
    store = sim.state.store
    newest_s = sim.state.clock.now() - sim.config.zkb_api_hold_back_s
    character_id = max(store.by_character, key=lambda c: len(store.by_character[c]))
    ids = store.ids_of("character", character_id)
    return character_id, {k for k in ids if store.records[k].time_s <= newest_s}


async def stored_ids(container: container_module.Container) -> set[int]:
    async with container.database.transaction() as session:
        return set((await session.execute(select(Killmail.killmail_id))).scalars())


async def test_queued_character_history_is_stored_and_its_entities_queued(
    settings: Settings,
) -> None:
    async with run_simulator(SimConfig(seed=3, universe="tiny")) as sim:
        character_id, expected = busiest_character(sim)
        async with container_module.build(against(settings, sim)) as container:
            # given a character queued for its zKillboard history
            await container.bus.publish(
                ZKILLBOARD_CHARACTER_QUEUE, ZkillboardCharacterMessage(character_id=character_id)
            )
            # when the zkillboard worker runs until the killmails are stored
            stop = asyncio.Event()
            task = asyncio.create_task(run_routes(container, select_routes(["zkillboard"]), stop))
            deadline = time.monotonic() + 30
            while await stored_ids(container) != expected:
                assert time.monotonic() < deadline, "history not stored in time"
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.2)  # the ack follows the last commit
            stop.set()
            await asyncio.wait_for(task, 30)
            # then every killmail of its pages is stored once, without asking ESI
            assert sim.stats()["requests_by_route"].get(KILLMAIL_ROUTE, 0) == 0
            async with container.database.transaction() as session:
                sources = set((await session.execute(select(Killmail.source))).scalars())
            assert sources == {"zkillboard"}
            # and the message is done, and the characters the database lacks are queued
            stats = {s.queue: s for s in await container.bus.queue_stats(list(QUEUES))}
            assert stats[ZKILLBOARD_CHARACTER_QUEUE].ready == 0
            assert stats[ZKILLBOARD_CHARACTER_QUEUE].dead == 0
            assert stats[ESI_CHARACTER_INFO_QUEUE].ready >= 1


async def test_short_elements_fetch_only_unknown_killmails_and_reject_a_wrong_hash(
    embedded_settings: Settings,
) -> None:
    async with run_simulator(SimConfig(seed=3, universe="tiny")) as sim:
        ids = sim.killmail_ids()[:6]
        hashes = {k: sim.killmail(k).killmail_hash for k in ids}
        async with container_module.build(against(embedded_settings, sim)) as container:
            # given two of six killmails stored already
            known = [
                parse_envelope({**sim.killmail_body(k), "killmail_hash": hashes[k]}, source="test")
                for k in ids[:2]
            ]
            await ingest_batch(container.database, None, known)
            # and a page in the pre-2026-06-27 shape, {killmail_id, zkb}, one with a wrong hash
            wrong = ids[5]
            page = [
                {"killmail_id": k, "zkb": {"hash": "0" * 40 if k == wrong else hashes[k]}}
                for k in ids
            ]
            sim.reset_stats()
            # when the page is ingested
            summary = HistorySummary(character_id=1)
            await ingest_page(container.database, None, container.esi, page, summary)
            # then ESI was asked only for the four unknown ones
            assert sim.stats()["requests_by_route"][KILLMAIL_ROUTE] == 4
            assert (summary.new, summary.from_esi, summary.duplicate) == (3, 3, 2)
            # and the wrong hash is rejected with its id and reason; the rest is stored
            assert [(r.killmail_id, r.origin) for r in summary.rejected] == [
                (wrong, "zkillboard[5]")
            ]
            assert summary.rejected[0].reason.startswith("unknown hash at ESI (422)")
            assert await stored_ids(container) == set(ids[:5])
            async with container.database.transaction() as session:
                killmail = await session.get(Killmail, ids[3])
                assert killmail is not None and killmail.killmail_hash == hashes[ids[3]]
                count = await session.scalar(select(func.count()).select_from(Killmail))
            assert count == 5


async def test_zkillboard_rate_limit_becomes_retry_later(embedded_settings: Settings) -> None:
    config = SimConfig(seed=3, universe="tiny", zkb_api_max_requests=1, zkb_api_window_s=120)
    async with run_simulator(config) as sim:
        character_id, _ = busiest_character(sim)
        async with container_module.build(against(embedded_settings, sim)) as container:
            # given zKillboard's budget for this IP spent
            await container.zkb_api.fetcher.get_json(container.zkb_api.character_url(1, 1))
            spec = QUEUES[ZKILLBOARD_CHARACTER_QUEUE]
            delivery = Delivery(spec.name, "m1", b"{}", 0, 1, None)
            ctx = HandlerContext(container, container.bus, spec, delivery)
            # when the handler runs, then it asks to be retried when zKillboard allows
            with pytest.raises(RetryLater) as raised:
                await handle_zkillboard_character(
                    ZkillboardCharacterMessage(character_id=character_id), ctx
                )
            assert raised.value.retry_at > datetime.now(UTC)
            assert "ZkbRateLimited" in raised.value.reason
