"""Build the zKillboard clients of a process, paced per deployment (Redis) or per process."""

from __future__ import annotations

import aiohttp
import redis.asyncio as aioredis

from killreport.settings import Settings
from killreport.zkb.api import ZkbApiClient
from killreport.zkb.fetcher import FetchConfig, ZkbFetcher
from killreport.zkb.pacing import LocalPacer, Pacer, RedisPacer
from killreport.zkb.r2z2 import R2Z2Client

PACER_PREFIX = "killreport:zkb"


def _pacer(redis: aioredis.Redis | None, name: str, interval_s: float) -> Pacer:
    if redis is not None:
        return RedisPacer(redis, f"{PACER_PREFIX}:{name}:next", interval_s)
    return LocalPacer(interval_s)


def _fetch_config(settings: Settings) -> FetchConfig:
    return FetchConfig(
        user_agent=settings.user_agent,
        timeout_s=settings.http_timeout_s,
        retry_attempts=settings.esi_retry_attempts,
        retry_wait_initial_s=settings.esi_retry_wait_initial_s,
        retry_wait_max_s=settings.esi_retry_wait_max_s,
        contact=settings.user_agent_contact.strip(),
    )


def build_r2z2_client(
    settings: Settings, session: aiohttp.ClientSession, redis: aioredis.Redis | None
) -> R2Z2Client:
    """The R2Z2 client, paced by `r2z2_min_interval_s`."""
    pacer = _pacer(redis, "r2z2", settings.r2z2_min_interval_s)
    return R2Z2Client(ZkbFetcher(session, pacer, _fetch_config(settings)), settings.r2z2_url)


def build_zkb_api_client(
    settings: Settings, session: aiohttp.ClientSession, redis: aioredis.Redis | None
) -> ZkbApiClient:
    """The zKillboard API client, paced by `zkb_api_min_interval_s`."""
    pacer = _pacer(redis, "api", settings.zkb_api_min_interval_s)
    return ZkbApiClient(ZkbFetcher(session, pacer, _fetch_config(settings)), settings.zkb_api_url)
