"""`killreport feed repair --date`: the day's history fills gaps, ESI asked only for missing ids."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from killreport import container as container_module
from killreport.cli.main import app
from killreport.db.tables import Killmail
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.settings import Settings
from killreport.sim import SimConfig, run_simulator
from killreport.sim.r2z2 import history_day, history_totals

KILLMAIL_ROUTE = "esi GET /killmails/{killmail_id}/{killmail_hash}"


async def test_repair_fetches_only_the_missing_killmails_of_the_day(
    embedded_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with run_simulator(SimConfig(seed=5, universe="tiny")) as sim:
        # given the busiest day of the history, of which half is stored already (how many
        # killmails a day holds depends on the hour the simulator's clock starts at)
        totals = history_totals(sim.state)
        day = max(totals, key=lambda d: totals[d])
        listed = {int(k): h for k, h in history_day(sim.state, day).items()}
        assert len(listed) >= 2
        known = sorted(listed)[: len(listed) // 2]
        configured = embedded_settings.model_copy(
            update={"esi_url": sim.endpoints["esi"], "r2z2_url": sim.endpoints["r2z2"]}
        )
        async with container_module.build(configured) as container:
            stored = [
                parse_envelope({**sim.killmail_body(k), "killmail_hash": listed[k]}, source="r2z2")
                for k in known
            ]
            await ingest_batch(container.database, None, stored)
        monkeypatch.setenv("KILLREPORT_DATABASE_URL", configured.database_url)
        monkeypatch.setenv("KILLREPORT_ESI_URL", sim.endpoints["esi"])
        monkeypatch.setenv("KILLREPORT_R2Z2_URL", sim.endpoints["r2z2"])
        monkeypatch.setenv("KILLREPORT_LOG_LEVEL", "WARNING")
        sim.reset_stats()
        # when the day is repaired through the CLI
        iso_day = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC).date().isoformat()
        await asyncio.to_thread(
            app, ["feed", "repair", "--date", iso_day], result_action="return_value"
        )
        # then ESI was asked only for the missing ones, and the summary says so
        missing = len(listed) - len(known)
        assert sim.stats()["requests_by_route"][KILLMAIL_ROUTE] == missing
        out = capsys.readouterr().out
        assert out.startswith(
            f"{iso_day}: {len(listed)} in the history, {len(known)} stored already, "
            f"{missing} fetched from ESI: {missing} new, 0 duplicate, 0 rejected, 0 failed"
        )
        # and every killmail of the day is stored with its hash
        async with (
            container_module.build(configured) as container,
            container.database.transaction() as session,
        ):
            rows = (await session.execute(select(Killmail))).scalars().all()
        assert {row.killmail_id for row in rows} == set(listed)
        assert {row.killmail_id: row.killmail_hash for row in rows} == listed
        assert {row.source for row in rows if row.killmail_id not in known} == {"r2z2-history"}
