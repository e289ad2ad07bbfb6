"""The Redis budget store: the semantics of `budget_memory`, as atomic Lua over shared keys.

Every process and host of a deployment shares these keys, so they share one budget.
Times are Redis's own clock (`TIME`), in milliseconds, so hosts need not agree on time.
A reservation that is never settled (a crashed process) expires after `hold_s`.

Keys under the prefix: `sent` (zset of admissions), `inflight` (zset id -> expiry),
`error` (hash: remain, window_end, limit_seen, paused_until), `groups` (set of bucket
keys), and per bucket `g:<key>` (hash: tokens, window_ms, paused_until, spent),
`g:<key>:ledger` (zset "cost|id" -> returns at), `g:<key>:pending` (zset id -> expiry).
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from killreport.esi.budget import (
    DEFAULT_ERROR_LIMIT,
    DEFAULT_ERROR_PAUSE_S,
    DEFAULT_RETRY_AFTER_S,
    POLL_S,
    RESET_MARGIN_S,
    WORST_TOKEN_COST,
    Bucket,
    BudgetPolicy,
    BudgetSnapshot,
    GroupState,
    Observation,
    epoch_to_datetime,
)
from killreport.esi.errors import EsiBudgetUnavailable

_PRUNE_GROUP = """
local function prune_group(g, ledger, pending, now)
  local old = redis.call('ZRANGEBYSCORE', ledger, '-inf', now)
  if #old > 0 then
    local freed = 0
    for _, member in ipairs(old) do
      freed = freed + tonumber(string.match(member, '^(%d+)|'))
    end
    redis.call('HINCRBY', g, 'spent', -freed)
    redis.call('ZREMRANGEBYSCORE', ledger, '-inf', now)
  end
  redis.call('ZREMRANGEBYSCORE', pending, '-inf', now)
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function wait(ms)
  return math.max(1, math.ceil(ms))
end
"""

_ACQUIRE = (
    _PRUNE_GROUP
    + """
local sent, inflight, err = KEYS[1], KEYS[2], KEYS[3]
local g, ledger, pending, groups = KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local rid = ARGV[1]
local has_bucket = ARGV[2] == '1'
local prior_window = tonumber(ARGV[4])
local max_rps, rps_window = tonumber(ARGV[5]), tonumber(ARGV[6])
local max_conc, floor, hold = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local bkey, poll = ARGV[10], tonumber(ARGV[11])
local default_limit, worst = tonumber(ARGV[12]), tonumber(ARGV[13])
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', sent, '-inf', now - rps_window)
redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
local e = redis.call('HMGET', err, 'remain', 'window_end', 'limit_seen', 'paused_until')
local remain, wend = tonumber(e[1]), tonumber(e[2]) or 0
local seen, paused = tonumber(e[3]) or 0, tonumber(e[4]) or 0
if wend > 0 and now >= wend then
  redis.call('HDEL', err, 'remain', 'window_end')
  remain, wend = nil, 0
end
if paused > now then return wait(paused - now) end
if remain == nil then
  if seen > 0 then remain = seen else remain = default_limit end
end
local nflight = redis.call('ZCARD', inflight)
if remain - nflight <= floor then
  if nflight == 0 and wend > now then return wait(wend - now) end
  return poll
end
if nflight >= max_conc then return poll end
local gwindow = 0
if has_bucket then
  prune_group(g, ledger, pending, now)
  local gh = redis.call('HMGET', g, 'tokens', 'window_ms', 'paused_until', 'spent')
  local tokens = tonumber(gh[1])
  gwindow = tonumber(gh[2]) or prior_window or 0
  local gpaused = tonumber(gh[3]) or 0
  if gpaused > now then return wait(gpaused - now) end
  local npending = redis.call('ZCARD', pending)
  if tokens == nil then
    if npending > 0 then return poll end
  else
    local available = tokens - (tonumber(gh[4]) or 0) - worst * npending
    if available <= 0 then
      if npending > 0 then return poll end
      local first = redis.call('ZRANGE', ledger, 0, 0, 'WITHSCORES')
      if first[2] then return wait(math.max(poll, tonumber(first[2]) - now)) end
      return poll
    end
  end
end
if redis.call('ZCARD', sent) >= max_rps then
  local first = redis.call('ZRANGE', sent, 0, 0, 'WITHSCORES')
  return wait(tonumber(first[2]) + rps_window - now)
end
redis.call('ZADD', sent, now, rid)
redis.call('PEXPIRE', sent, rps_window * 2)
redis.call('ZADD', inflight, now + hold, rid)
redis.call('PEXPIRE', inflight, hold * 2)
if has_bucket then
  local keep = math.max(hold, gwindow)
  redis.call('ZADD', pending, now + keep, rid)
  redis.call('SADD', groups, bkey)
  for _, key in ipairs({g, ledger, pending}) do redis.call('PEXPIRE', key, keep * 2) end
end
return 0
"""
)

_SETTLE = (
    _PRUNE_GROUP
    + """
local inflight, err, pending = KEYS[1], KEYS[2], KEYS[3]
local lg, lledger, lpending, groups = KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local rid, status = ARGV[1], tonumber(ARGV[2])
local e_remain, e_reset = tonumber(ARGV[3]), tonumber(ARGV[4])
local has_group, g_tokens, g_window = ARGV[5] == '1', tonumber(ARGV[6]), tonumber(ARGV[7])
local g_remaining, used, retry_after = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local has_bucket, lkey = ARGV[11] == '1', ARGV[12]
local default_limit, error_pause = tonumber(ARGV[13]), tonumber(ARGV[14])
local margin = tonumber(ARGV[15])
local default_retry, worst = tonumber(ARGV[16]), tonumber(ARGV[17])
local now = now_ms()
redis.call('ZREM', inflight, rid)
if has_bucket then redis.call('ZREM', pending, rid) end
local e = redis.call('HMGET', err, 'remain', 'window_end', 'limit_seen')
local remain, wend, seen = tonumber(e[1]), tonumber(e[2]) or 0, tonumber(e[3]) or 0
if wend > 0 and now >= wend then remain, wend = nil, 0 end
if status == 420 then
  local reset = e_reset or retry_after or error_pause
  local until_ms = now + reset + margin
  redis.call('HSET', err, 'paused_until', until_ms, 'remain', 0, 'window_end', until_ms)
elseif e_remain and e_reset then
  local new_end = now + e_reset + margin
  if e_remain > seen then redis.call('HSET', err, 'limit_seen', e_remain) end
  if remain == nil or new_end > wend + 1500 then
    redis.call('HSET', err, 'remain', e_remain, 'window_end', new_end)
  elseif new_end >= wend - 1500 then
    redis.call('HSET', err, 'remain', math.min(remain, e_remain),
      'window_end', math.max(wend, new_end))
  end
elseif status == nil or status >= 400 then
  if remain == nil then
    if seen == 0 then seen = default_limit end
    redis.call('HSET', err, 'remain', seen - 1, 'window_end', now + error_pause + margin)
  else
    redis.call('HINCRBY', err, 'remain', -1)
  end
end
redis.call('PEXPIRE', err, 3600000)
if has_group then
  if g_tokens then redis.call('HSET', lg, 'tokens', g_tokens) end
  if g_window then redis.call('HSET', lg, 'window_ms', g_window) end
  local window = tonumber(redis.call('HGET', lg, 'window_ms')) or 0
  prune_group(lg, lledger, lpending, now)
  if used > 0 then
    redis.call('ZADD', lledger, now + window, used .. '|' .. rid)
    redis.call('HINCRBY', lg, 'spent', used)
  end
  if status == 429 then
    redis.call('HSET', lg, 'paused_until', now + (retry_after or default_retry))
  end
  local tokens = tonumber(redis.call('HGET', lg, 'tokens'))
  if g_remaining and tokens then
    local spent = tonumber(redis.call('HGET', lg, 'spent')) or 0
    local available = tokens - spent - worst * redis.call('ZCARD', lpending)
    if g_remaining < available then
      local extra = available - g_remaining
      redis.call('ZADD', lledger, now + window, extra .. '|external:' .. rid)
      redis.call('HINCRBY', lg, 'spent', extra)
    end
  end
  redis.call('SADD', groups, lkey)
  local keep = math.max(window, 60000) * 2
  for _, key in ipairs({lg, lledger, lpending}) do redis.call('PEXPIRE', key, keep) end
elseif has_bucket and status == 429 then
  redis.call('HSET', lg, 'paused_until', now + (retry_after or default_retry))
end
return 0
"""
)


def _arg(value: float | int | None, scale: float = 1.0) -> str:
    if value is None:
        return ""
    return str(round(value * scale)) if scale != 1.0 else str(value)


class RedisBudgetStore:
    """Budget state in Redis, shared by every process that uses the same prefix."""

    backend = "redis"

    def __init__(
        self, client: aioredis.Redis, policy: BudgetPolicy, prefix: str = "killreport:esi"
    ) -> None:
        self.client = client
        self.policy = policy
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._settle = client.register_script(_SETTLE)

    def _group_keys(self, bucket_key: str) -> list[str]:
        base = f"{self.prefix}:g:{bucket_key}"
        return [base, f"{base}:ledger", f"{base}:pending"]

    async def try_acquire(self, request_id: str, bucket: Bucket | None) -> float:
        """Admit the request (0.0) or say how many seconds to wait."""
        p = self.prefix
        policy = self.policy
        bucket_key = bucket.key if bucket else "-"
        keys = [f"{p}:sent", f"{p}:inflight", f"{p}:error"]
        keys += [*self._group_keys(bucket_key), f"{p}:groups"]
        args = [
            request_id,
            "1" if bucket else "0",
            _arg(bucket.tokens if bucket else None),
            _arg(bucket.window_s if bucket else None, 1000),
            str(policy.max_rps),
            _arg(policy.rps_window_s, 1000),
            str(policy.max_concurrency),
            str(policy.error_floor),
            _arg(policy.hold_s, 1000),
            bucket_key,
            _arg(POLL_S, 1000),
            str(DEFAULT_ERROR_LIMIT),
            str(WORST_TOKEN_COST),
        ]
        try:
            wait_ms: Any = await self._acquire(keys=keys, args=args)
        except RedisError as exc:
            raise EsiBudgetUnavailable(f"ESI budget store unreachable: {exc}") from exc
        return int(wait_ms) / 1000.0

    async def settle(
        self, request_id: str, bucket: Bucket | None, observation: Observation
    ) -> None:
        """Release the reservation and learn from the answer."""
        p = self.prefix
        obs = observation
        caller = bucket.caller if bucket else "public"
        learnt_key = f"{obs.group}|{caller}" if obs.group else (bucket.key if bucket else "-")
        pending_key = self._group_keys(bucket.key if bucket else "-")[2]
        keys = [f"{p}:inflight", f"{p}:error", pending_key, *self._group_keys(learnt_key)]
        keys.append(f"{p}:groups")
        args = [
            request_id,
            _arg(obs.status),
            _arg(obs.error_remain),
            _arg(obs.error_reset_s, 1000),
            "1" if obs.group else "0",
            _arg(obs.group_limit),
            _arg(obs.group_window_s, 1000),
            _arg(obs.group_remaining),
            str(obs.tokens_used),
            _arg(obs.retry_after_s, 1000),
            "1" if bucket else "0",
            learnt_key,
            str(DEFAULT_ERROR_LIMIT),
            _arg(DEFAULT_ERROR_PAUSE_S, 1000),
            _arg(RESET_MARGIN_S, 1000),
            _arg(DEFAULT_RETRY_AFTER_S, 1000),
            str(WORST_TOKEN_COST),
        ]
        try:
            await self._settle(keys=keys, args=args)
        except RedisError as exc:
            raise EsiBudgetUnavailable(f"ESI budget store unreachable: {exc}") from exc

    async def snapshot(self) -> BudgetSnapshot:
        """The state now, read from Redis."""
        p = self.prefix
        seconds, micros = await self.client.time()
        now_ms = seconds * 1000 + micros // 1000
        error = await self.client.hgetall(f"{p}:error")
        in_flight = await self.client.zcount(f"{p}:inflight", now_ms, "+inf")
        window_ms = self.policy.rps_window_s * 1000
        sent = await self.client.zcount(f"{p}:sent", now_ms - window_ms, "+inf")
        groups = []
        for raw_key in sorted(await self.client.smembers(f"{p}:groups")):
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            groups.append(await self._group_state(key, now_ms))
        window_end = float(error.get(b"window_end", 0))
        remain = error.get(b"remain")
        if window_end <= now_ms:
            remain, window_end = None, 0.0
        paused = float(error.get(b"paused_until", 0))
        return BudgetSnapshot(
            backend=self.backend,
            error_remain=int(remain) if remain is not None else None,
            error_window_end=epoch_to_datetime(window_end / 1000),
            paused_until=epoch_to_datetime(paused / 1000) if paused > now_ms else None,
            in_flight=int(in_flight),
            sent_last_window=int(sent),
            groups=tuple(groups),
        )

    async def _group_state(self, key: str, now_ms: int) -> GroupState:
        g, ledger, pending = self._group_keys(key)
        info = await self.client.hgetall(g)
        live: Any = await self.client.zrangebyscore(ledger, now_ms, "+inf")
        spent = sum(int(bytes(member).split(b"|", 1)[0]) for member in live)
        n_pending = int(await self.client.zcount(pending, now_ms, "+inf"))
        tokens = int(info[b"tokens"]) if b"tokens" in info else None
        window_ms = float(info[b"window_ms"]) if b"window_ms" in info else None
        paused = float(info.get(b"paused_until", 0))
        return GroupState(
            key=key,
            tokens=tokens,
            window_s=window_ms / 1000 if window_ms is not None else None,
            available=tokens - spent - WORST_TOKEN_COST * n_pending if tokens is not None else None,
            in_flight=n_pending,
            paused_until=epoch_to_datetime(paused / 1000) if paused > now_ms else None,
        )
