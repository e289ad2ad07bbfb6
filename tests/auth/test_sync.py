"""Each pilot's own ESI killmails through the worker, against the simulator (issue 12)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from killreport import container as container_module
from killreport.bus.contracts import ESI_USER_KILLMAILS_QUEUE, MAX_PRIORITY, PRIORITY_SCHEDULED
from killreport.db.tables import Killmail, QueueMessage
from killreport.jobs.user_killmails import queue_syncs
from killreport.scheduler.jobs import JOBS
from killreport.settings import Settings
from killreport.sim import Simulator
from killreport.sim.sso import SsoSimulator
from killreport.users.accounts import load_account
from killreport.users.sync_state import candidates
from tests.auth.site import character_row, drain, enrol, set_character

LIST_ROUTE = "esi GET /characters/{character_id}/killmails/recent"
KILLMAIL_ROUTE = "esi GET /killmails/{killmail_id}/{killmail_hash}"


def _settings(embedded_settings: Settings, sim: Simulator, **extra: object) -> Settings:
    return embedded_settings.model_copy(
        update={
            "esi_url": sim.endpoints["esi"],
            "sso_url": sim.endpoints["sso"],
            "sso_client_id": "killreport-sim",
            "esi_max_rps": 1000,
            "queue_poll_interval_s": 0.05,
            **extra,
        }
    )


@pytest.fixture
async def container(
    embedded_settings: Settings, sim: Simulator
) -> AsyncIterator[container_module.Container]:
    """The embedded deployment pointed at the simulator, with a fast request rate and
    slices long enough that a loaded machine does not cut a walk (exact request counts)."""
    settings = _settings(
        embedded_settings, sim, user_sync_slice_s=300.0, queue_visibility_timeout_s=900.0
    )
    async with container_module.build(settings) as built:
        yield built


def sim_sso(sim: Simulator) -> SsoSimulator:
    sso = sim.state.sso
    assert isinstance(sso, SsoSimulator)
    return sso


def recent_ids(sim: Simulator, character_id: int) -> set[int]:
    """What ESI's killmails/recent lists for the character (its last 90 days)."""
    store = sim.state.store
    horizon = sim.state.clock.now() - 90 * 86_400
    return {
        k for k in store.ids_of("character", character_id) if store.records[k].time_s >= horizon
    }


async def stored(container: container_module.Container) -> set[int]:
    async with container.database.transaction() as session:
        return set((await session.scalars(select(Killmail.killmail_id))).all())


async def test_full_sync_of_2500_killmails_then_an_incremental_one(
    container: container_module.Container, sim: Simulator, pilot: int
) -> None:
    # given a pilot with 2,500 more killmails in the last 90 days, logged in
    sim.add_character_killmails(pilot, 2500)
    expected = recent_ids(sim, pilot)
    assert len(expected) >= 2500
    await enrol(container, sim_sso(sim), pilot)
    sim.reset_stats()
    # when their sync is queued and the worker runs
    now = datetime.now(UTC)
    await queue_syncs(container.database, container.bus, now, priority=5)
    await drain(container, timeout_s=120)
    # then every killmail is stored, with no 429 on the way, one list request per page
    stats = sim.stats()
    assert expected <= await stored(container)
    assert stats["requests_by_status"].get("429", 0) == 0
    assert stats["requests_by_route"][LIST_ROUTE] == -(-len(expected) // 50)
    assert stats["requests_by_route"][KILLMAIL_ROUTE] == len(expected)
    row = await character_row(container, pilot)
    assert row.last_killmail_id == max(expected)
    assert row.sync_state == "ok" and row.sync_next_page is None
    assert row.killmails_synced_at is not None and row.killmails_synced_at >= now
    # when a second sync runs with nothing new, after the list's cache time
    sim.reset_stats()
    transport = container.esi.transport
    transport.clock = lambda: datetime.now(UTC) + timedelta(minutes=6)
    await queue_syncs(container.database, container.bus, now, priority=5, force=True)
    await drain(container)
    # then it made one list request (a conditional one) and fetched no killmail
    stats = sim.stats()
    assert stats["requests_by_route"] == {LIST_ROUTE: 1}
    assert stats["requests_by_status"] == {"304": 1}


async def test_a_refresh_token_revoked_at_sso_stops_the_characters_syncs(
    container: container_module.Container, sim: Simulator, pilot: int
) -> None:
    # given a pilot whose access token expired and whose grant was revoked at SSO
    await enrol(container, sim_sso(sim), pilot)
    sim_sso(sim).revoke_all(pilot)
    await set_character(
        container, pilot, access_token_expires_at=datetime.now(UTC) - timedelta(hours=1)
    )
    # when a sync runs
    await queue_syncs(container.database, container.bus, datetime.now(UTC), priority=5)
    await drain(container)
    # then the tokens are dropped and marked revoked, and `me` asks for a new login
    row = await character_row(container, pilot)
    assert row.tokens_revoked_at is not None and row.refresh_token_encrypted is None
    assert row.sync_state == "revoked"
    async with container.database.transaction() as session:
        account = await load_account(session, row.user_id, ())
        assert account is not None and account.characters[0].needs_login
        # and no producer queues it any more, even forced
        assert await candidates(session, datetime.now(UTC), force=True) == []


async def test_the_background_job_syncs_a_pilot_whose_access_token_expired_hours_ago(
    settings: Settings, sim: Simulator, pilot: int
) -> None:
    async with container_module.build(
        _settings(settings, sim, secret_key=SecretStr("test-secret"))
    ) as container:
        await _background_job_syncs_an_old_token(container, sim, pilot)


async def _background_job_syncs_an_old_token(
    container: container_module.Container, sim: Simulator, pilot: int
) -> None:
    # given a pilot synced an hour ago whose 20-minute access token expired 5 hours ago
    await enrol(container, sim_sso(sim), pilot)
    long_ago = datetime.now(UTC) - timedelta(hours=5)
    synced = datetime.now(UTC) - timedelta(hours=1)
    await set_character(
        container, pilot, access_token_expires_at=long_ago, killmails_synced_at=synced
    )
    # when the scheduler's 10-minute job runs
    job = next(j for j in JOBS if j.name == "queue-user-killmails")
    assert job.cron == "*/10 * * * *"
    assert await job.run(container) == 1
    # then the pilot is queued at priority 3 (the embedded queue shows the priority)
    if container.settings.broker_url is None:
        async with container.database.transaction() as session:
            (message,) = (await session.scalars(select(QueueMessage))).all()
        assert (message.queue, message.rank) == (
            ESI_USER_KILLMAILS_QUEUE,
            MAX_PRIORITY - PRIORITY_SCHEDULED,
        )
    # and the worker refreshes the token and syncs
    await drain(container)
    row = await character_row(container, pilot)
    assert row.access_token_expires_at is not None
    assert row.access_token_expires_at > datetime.now(UTC) + timedelta(minutes=15)
    assert row.killmails_synced_at is not None and row.killmails_synced_at > synced
    assert recent_ids(sim, pilot) <= await stored(container)
    # and the job does not queue it again within 15 minutes
    assert await job.run(container) == 0


CORP_ROUTE = "esi GET /corporations/{corporation_id}/killmails/recent"
BOTH_SCOPES = ("esi-killmails.read_killmails.v1", "esi-killmails.read_corporation_killmails.v1")


async def test_corporation_killmails_once_per_corporation_and_a_refused_role_is_remembered(
    container: container_module.Container, sim: Simulator, pilot: int
) -> None:
    # given two directors of one corporation and a non-director, all with the corp scope
    universe = sim.universe
    by_corp: dict[int, list[int]] = {}
    for character_id in universe.directors:
        by_corp.setdefault(universe.characters[character_id].corporation_id, []).append(
            character_id
        )
    corporation_id, directors = next((c, d) for c, d in by_corp.items() if len(d) >= 2)
    for character_id in (*directors[:2], pilot):
        await enrol(container, sim_sso(sim), character_id, BOTH_SCOPES)
    sim.reset_stats()
    # when all three sync
    await queue_syncs(container.database, container.bus, datetime.now(UTC), priority=5)
    await drain(container)
    # then the corporation's list was walked by one director only, and its killmails stored
    store = sim.state.store
    horizon = sim.state.clock.now() - 90 * 86_400
    corp_recent = {
        k for k in store.ids_of("corporation", corporation_id) if store.records[k].time_s >= horizon
    }
    assert corp_recent <= await stored(container)
    pages = max(1, -(-len(corp_recent) // 50))
    # the non-director was refused once (403) and remembers it for a day
    assert sim.stats()["requests_by_route"][CORP_ROUTE] == pages + 1
    row = await character_row(container, pilot)
    assert row.corp_role_denied_until is not None
    assert row.corp_role_denied_until > datetime.now(UTC) + timedelta(hours=23)
    # when everyone syncs again (forced), nobody asks for the corporation list
    sim.reset_stats()
    await queue_syncs(container.database, container.bus, datetime.now(UTC), priority=5, force=True)
    await drain(container)
    assert CORP_ROUTE not in sim.stats()["requests_by_route"]


async def test_a_walk_cut_into_slices_resumes_where_it_stopped(
    embedded_settings: Settings, sim: Simulator, pilot: int, caplog: pytest.LogCaptureFixture
) -> None:
    # given a pilot with 800 more killmails (16 pages: the 16th waits for the list bucket)
    # and one-second slices, so the walk must yield and resume
    caplog.set_level(logging.INFO)
    sim.add_character_killmails(pilot, 800)
    expected = recent_ids(sim, pilot)
    settings = _settings(embedded_settings, sim, user_sync_slice_s=1.0)
    async with container_module.build(settings) as container:
        await enrol(container, sim_sso(sim), pilot)
        sim.reset_stats()
        # when the sync runs
        await queue_syncs(container.database, container.bus, datetime.now(UTC), priority=5)
        await drain(container)
        # then everything is stored with no 429, each page read about once, and the
        # marker written only at the end
        stats = sim.stats()
        assert expected <= await stored(container)
        assert stats["requests_by_status"].get("429", 0) == 0
        pages = -(-len(expected) // 50)
        assert pages <= stats["requests_by_route"][LIST_ROUTE] <= pages + 2
        row = await character_row(container, pilot)
        assert row.sync_state == "ok" and row.last_killmail_id == max(expected)
    assert any("walk yielded" in record.getMessage() for record in caplog.records)
