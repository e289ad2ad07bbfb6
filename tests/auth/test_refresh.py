"""Refresh: under a minute left refreshes; two workers at once refresh once (issue 12)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp

from killreport.db.engine import Database
from killreport.db.tables import User, UserCharacter
from killreport.sim import Simulator
from killreport.sim.server import SSO_CLIENT_ID, SSO_CLIENT_SECRET
from killreport.sim.sso import SsoSimulator
from killreport.sso.client import SsoClient, SsoConfig, TokenSet
from killreport.sso.refresh import access_token
from killreport.sso.vault import TokenVault


async def test_two_workers_refreshing_one_character_refresh_once(
    database: Database, sim: Simulator, pilot: int
) -> None:
    # given a stored grant whose access token has 30 seconds left
    sso = sim.state.sso
    assert isinstance(sso, SsoSimulator)
    body = sso.issue_token(pilot, ["esi-killmails.read_killmails.v1"])
    vault = TokenVault(["test-secret"])
    now = datetime.now(UTC)
    async with database.transaction() as session:
        session.add(User(user_id=1, is_admin=False, created_at=now))
        await session.flush()
        session.add(
            UserCharacter(
                character_id=pilot, user_id=1, character_name="P", owner_hash="o", scopes="",
                created_at=now, token_generation=0, sync_state="never", sync_full=False,
                access_token_encrypted=vault.encrypt(str(body["access_token"])),
                refresh_token_encrypted=vault.encrypt(str(body["refresh_token"])),
                access_token_expires_at=now + timedelta(seconds=30),
            )
        )  # fmt: skip
    async with aiohttp.ClientSession() as http:
        config = SsoConfig(
            base_url=sim.endpoints["sso"], client_id=SSO_CLIENT_ID,
            client_secret=SSO_CLIENT_SECRET, callback_url="http://127.0.0.1/cb", user_agent="t",
        )  # fmt: skip
        client = SsoClient(http, config)
        calls = 0

        async def refresh(refresh_token: str) -> TokenSet:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.2)  # a slow SSO: the other worker arrives meanwhile
            return await client.refresh(refresh_token)

        # when two workers ask for the character's token at once
        first, second = await asyncio.gather(
            access_token(database, vault, refresh, pilot),
            access_token(database, vault, refresh, pilot),
        )
    # then SSO was asked once (the rotated token would have killed the second refresh),
    # both got the new token, and the rotated refresh token is what is stored
    assert calls == 1
    assert first == second != body["access_token"]
    async with database.transaction() as session:
        row = await session.get(UserCharacter, pilot)
        assert row is not None and row.refresh_token_encrypted is not None
        stored_refresh = vault.decrypt(row.refresh_token_encrypted)
        assert row.tokens_revoked_at is None and row.token_generation >= 1
    assert stored_refresh != body["refresh_token"]
    assert stored_refresh in sso._refresh_tokens
